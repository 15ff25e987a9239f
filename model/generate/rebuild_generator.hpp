// Scenarios for the chain-rebuild property (seed 004): 2-3 layer chains whose upper layers
// zero, discard and partly overwrite clusters over backing data - where a rebuild from
// base:allocation alone goes wrong. Choice 0 is the simplest (two qcow2 layers, 64 KiB
// clusters, aligned operations), so a shrinking Chooser shrinks toward seed 004's shape.
#pragma once

#include "model/scenario/rebuild.hpp"
#include "model/generate/scenario_generator.hpp"

namespace chaincheck::model {

Scenario generate_rebuild_scenario(Chooser& c);
// The fresh images' geometry and how zeroes are sent; choice 0 is qemu-img's defaults.
RebuildTarget generate_rebuild_target(Chooser& c);

}  // namespace chaincheck::model
