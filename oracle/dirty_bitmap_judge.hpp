// Judging qemu:dirty-bitmap:NAME contexts: the model's predicted dirty extents against what
// the server sent (NBD-spec checks of these replies are in nbd_spec.cpp, for every context).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "model/scenario/observation.hpp"
#include "oracle/finding.hpp"

namespace chaincheck::oracle {

// Model divergence per bitmap context the model predicts: a context the server did not
// negotiate, and every range whose dirty bit differs. Contexts in `explained` (a higher
// class of finding already names them) are skipped.
std::vector<Finding> dirty_bitmap_divergence(const model::NbdObservation& predicted,
                                             const model::NbdObservation& observed,
                                             const std::set<std::string>& explained);

}  // namespace chaincheck::oracle
