// Dirty bitmaps combined with chain operations and block jobs, for the campaign generator
// and the chain-operation / block-job properties. Drawn after everything else, so a seed's
// scenario up to them stays what it was.
#pragma once

#include <string>

#include "model/generate/scenario_generator.hpp"

namespace chaincheck::model {

// Persistent bitmaps PREFIX0 (and sometimes PREFIX1) on qcow2 `layer`, added right after
// the step that creates it (random granularity, sometimes disabled at once). Nothing for a
// layer that is not a qcow2 v3 image created by the scenario. Returns the names added.
std::vector<std::string> add_layer_bitmaps(Chooser& c, Scenario& s, const std::string& layer,
                                           const std::string& prefix);

// With a chain step or block job among the steps: sometimes `convert --bitmaps` (a qcow2
// target), sometimes bitmaps "c0" on the base a commit / block-commit writes into, exported
// too (model/semantics/bitmap_effects.hpp says what each operation does to them).
void add_chain_bitmaps(Chooser& c, Scenario& s);

// Keep only the exported bitmaps the export finds after every step (model: the search
// nbd_export_create makes), so the export does not fail for a name that is gone (a
// convert target without --bitmaps, a rebase that drops the base, a raw window on the way).
// Drops the DirtyBitmaps query when none is left.
void keep_findable_bitmaps(Scenario& s);
// The same, given the images after every step (replay_without_guest_io of all of them).
void keep_findable_bitmaps(Scenario& s, const ModelState& after_every_step);

// The images after steps [0, upto) without their guest I/O: which images and bitmaps exist
// and their sizes, which guest writes never change (they mark bitmaps, never add, drop or
// resize them). For generator decisions that need only those; skipping the I/O made the
// generator's replays a small part of each fuzz run instead of a third of the model's work.
ModelState replay_without_guest_io(const Scenario& s, std::size_t upto);
// Carries `state` (the images after steps [0, from)) on through steps [from, upto).
void replay_without_guest_io(const Scenario& s, std::size_t from, std::size_t upto, ModelState& state);

}  // namespace chaincheck::model
