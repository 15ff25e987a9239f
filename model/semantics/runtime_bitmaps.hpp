// Dirty bitmaps managed over QMP on an image a qemu-storage-daemon has open
// (block/monitor/bitmap-qmp-cmds.c): unlike `qemu-img bitmap`, a new bitmap is persistent
// only when asked, so it may sit on a v2 image, and it vanishes when the daemon closes
// the image. Errors are QEMU's own messages (without qemu-img's "Operation ... failed").
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/semantics/bitmaps.hpp"

namespace chaincheck::model {

struct RuntimeBitmapOp {
  BitmapAction::Kind kind = BitmapAction::Kind::Add;
  std::string image;                // the qcow2 image of the format node the command names
  std::string name;                 // the bitmap (merge: the target)
  std::optional<u64> granularity;   // add
  bool persistent = false;          // add (QMP's default: false)
  bool disabled = false;            // add
  std::vector<std::pair<std::string, std::string>> sources;  // merge: {image, bitmap} each
};

std::optional<OpError> apply_runtime_bitmap_op(ModelState& s, const RuntimeBitmapOp& op);

// The daemon closes `image` (quit, or its exit): bdrv_close stores the persistent bitmaps
// (qcow2_store_persistent_dirty_bitmaps) and releases the others
// (bdrv_release_named_dirty_bitmaps).
void close_runtime_bitmaps(ModelState& s, const std::string& image);

}  // namespace chaincheck::model
