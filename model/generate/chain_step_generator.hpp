// The campaign generator's chain operations: after the layers and the export are chosen,
// sometimes one qemu-img commit, rebase or convert of the top layer. Drawn last, so the
// choices before it (and every older seed's scenario up to it) stay as they were.
#pragma once

#include <vector>

#include "model/generate/scenario_generator.hpp"

namespace chaincheck::model {

struct GeneratedLayer {
  std::string name;
  ImageFormat format = ImageFormat::Qcow2;
  u64 size = 0;  // guest length
};

// `layers` bottom first; may append steps and retarget a plain export to a convert target.
// maybe_: with a chance of 15%; add_: always (tests that want one).
void maybe_add_chain_step(Chooser& c, const std::vector<GeneratedLayer>& layers, Scenario& s);
void add_chain_step(Chooser& c, const std::vector<GeneratedLayer>& layers, Scenario& s);

}  // namespace chaincheck::model
