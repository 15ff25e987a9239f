// Dirty bitmaps: the offline operations of `qemu-img bitmap` (and the QMP commands they
// call: block-dirty-bitmap-add/remove/clear/enable/disable/merge), and how guest writes
// mark them. Sources: qemu-img.c img_bitmap, block/monitor/bitmap-qmp-cmds.c,
// block/dirty-bitmap.c, util/hbitmap.c, block/qcow2-bitmap.c, block/io.c.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/semantics/graph.hpp"
#include "model/semantics/operations.hpp"

namespace chaincheck::model {

struct BitmapAction {
  enum class Kind { Add, Remove, Clear, Enable, Disable, Merge } kind = Kind::Add;
  std::string source;  // Merge: the source bitmap's name
  bool operator==(const BitmapAction&) const = default;
};
const char* to_string(BitmapAction::Kind k);
std::optional<BitmapAction::Kind> bitmap_action_from_string(const std::string& s);

// qemu-img bitmap [--add [-g G]] [--remove] [--clear] [--enable] [--disable]
//   [--merge SRC [-b SRC_IMAGE]] IMAGE NAME: the actions in command-line order on one bitmap.
struct BitmapCommand {
  std::string image;
  std::string bitmap;
  std::vector<BitmapAction> actions;
  std::optional<u64> granularity;          // -g (only with --add)
  std::optional<std::string> source_image; // -b (only with --merge)
  bool operator==(const BitmapCommand&) const = default;
};

// The bitmap of that name on the image, or null.
DirtyBitmap* find_bitmap(Qcow2Image& q, const std::string& name);

// bdrv_get_default_bitmap_granularity: the cluster size clamped to [4k, 64k].
u64 default_bitmap_granularity(const Qcow2Image& q);

// Apply a command as qemu-img does: actions run in order and stop at the first error;
// the actions before it stay applied (the image is closed normally, bitmaps stored).
std::optional<OpError> apply_bitmap_command(ModelState& s, const BitmapCommand& c);

// bdrv_set_dirty: a request of the format node of `image` at [offset, offset+length) marks
// every enabled bitmap's granules it touches.
void mark_dirty(Qcow2Image& q, u64 offset, u64 length);

// nbd/server.c nbd_export_create: a bitmap named NAME is looked for on the export's node,
// then down through filters and backing (bdrv_filter_or_cow_bs). Null when absent.
// Each layer's bitmap covers that layer's own offsets (an export over a shorter/longer
// overlay reports a backing bitmap as is).
const DirtyBitmap* find_export_bitmap(const ModelState& s, const Graph& g, const std::string& name);

}  // namespace chaincheck::model
