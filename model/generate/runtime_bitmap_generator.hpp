// QMP dirty-bitmap sessions on qemu-storage-daemon (RuntimeBitmapStep) for the campaign
// generator: drawn after everything else, so a seed's scenario up to them stays what it was.
#pragma once

#include "model/generate/scenario_generator.hpp"

namespace chaincheck::model {

// One session on a qcow2 layer the scenario creates (mostly the export's top layer), at a
// random place after its creation: adds (persistent or not, a granularity, sometimes
// disabled), then clear/enable/disable/merge/remove on them and now and then a command
// QEMU refuses (a name that is missing or taken). Guest writes on the layer follow, so the
// stored enabled bitmaps are marked; the session's bitmaps are exported (only those the
// export finds after every step are kept: keep_findable_bitmaps). Nothing without a
// qcow2 layer or an export.
void add_runtime_bitmap_session(Chooser& c, Scenario& s);

}  // namespace chaincheck::model
