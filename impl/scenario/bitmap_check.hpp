// Every qcow2 layer's persistent dirty bitmaps against the model: the part of the
// chain-operation and block-job live checks that says what each operation did to them.
#pragma once

#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/scenario/qemu_graph.hpp"
#include "model/semantics/graph.hpp"

namespace chaincheck::impl {

// For each qcow2 image of `s`: the bitmaps qemu-img info lists (name, granularity, enabled
// = the "auto" flag, none "in-use") and, for each, the dirty ranges qemu-nbd -r -B NAME
// serves of the layer opened alone (backing: null) as qemu:dirty-bitmap:NAME. One line per
// difference, empty when the files agree with the model.
std::vector<std::string> compare_bitmaps(const model::ModelState& s, const Workspace& ws, const ImageFormats& formats);

}  // namespace chaincheck::impl
