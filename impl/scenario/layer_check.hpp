// Every layer of a model state against its real file: the checks behind the chain-operation
// live tests (a commit or rebase changes layers the export never shows).
#pragma once

#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/scenario/qemu_graph.hpp"
#include "model/graph.hpp"

namespace chaincheck::impl {

// For each image of `s`: the backing file named in its header (qemu-img info), qemu-img map
// of the image opened with its chain (host offsets only as present / absent), and every
// guest byte (qemu-io read -P of each of the model's content runs). One line per
// difference, empty when the real files agree with the model.
// With `maps` false only headers and content are compared (qemu-img map past a short backing
// file differs from the model by a known finding, KF-004).
std::vector<std::string> compare_layers(const model::ModelState& s, const Workspace& ws,
                                        const ImageFormats& formats, bool maps = true);

}  // namespace chaincheck::impl
