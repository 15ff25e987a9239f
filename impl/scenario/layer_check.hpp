// Every layer of a model state against its real file: the checks behind the chain-operation
// live tests (a commit or rebase changes layers the export never shows).
#pragma once

#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/scenario/qemu_graph.hpp"
#include "model/semantics/graph.hpp"

namespace chaincheck::impl {

// What compare_layers compares besides headers and content.
struct LayerCheck {
  bool qcow2_maps = true;  // qemu-img map of each qcow2 image opened alone (backing: null)
  // qemu-img map of each raw file: SEEK_DATA. On ext4 a range zeroed with ZERO_RANGE is an
  // unwritten extent that SEEK_DATA reports as a hole until its pages are cached, and as
  // data once anything (qemu-img convert, commit, this check) has read it; tests whose raw
  // files are read after a write-zeroes switch this off.
  bool raw_maps = true;
  // Each qcow2 layer's persistent bitmaps (impl/scenario/bitmap_check.hpp).
  bool bitmaps = true;
};

// For each image of `s`: the backing file named in its header (qemu-img info), qemu-img map
// of the layer alone (its own allocation; host offsets only as present / absent), and every
// guest byte through its chain (qemu-io read -P of each of the model's content runs). Maps
// are read before any content. One line per difference, empty when the files agree.
std::vector<std::string> compare_layers(const model::ModelState& s, const Workspace& ws,
                                        const ImageFormats& formats, LayerCheck check = {});

}  // namespace chaincheck::impl
