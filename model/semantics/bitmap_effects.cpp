#include "model/semantics/bitmap_effects.hpp"

namespace chaincheck::model {

UnmarkedWrites::UnmarkedWrites(ModelState& s, int image) : s_(s), image_(image) {
  if (s_.image(image_).format() == ImageFormat::Qcow2) saved_ = s_.image(image_).qcow2().bitmaps;
}

UnmarkedWrites::~UnmarkedWrites() {
  if (s_.image(image_).format() == ImageFormat::Qcow2) s_.image(image_).qcow2().bitmaps = std::move(saved_);
}

std::optional<OpError> check_convert_bitmaps(const ModelState& s, const std::string& source) {
  int i = s.find(source);
  // convert_check_bitmaps: bdrv_supports_persistent_dirty_bitmap(src) is false for raw and
  // for qcow2 before v3 (qcow2_supports_persistent_dirty_bitmap), before the target exists.
  if (i >= 0 && (s.image(i).format() != ImageFormat::Qcow2 || !s.image(i).qcow2().v3))
    return OpError{"Source lacks bitmap support"};
  return std::nullopt;
}

std::optional<OpError> check_convert_target_bitmaps(const ModelState& s, const std::string& target) {
  int i = s.find(target);
  if (i >= 0 && s.image(i).format() != ImageFormat::Qcow2)
    return OpError{"Format driver 'raw' does not support bitmaps"};
  return std::nullopt;
}

std::optional<OpError> copy_bitmaps_for_convert(ModelState& s, const std::string& source, const std::string& target) {
  const std::vector<DirtyBitmap> from = s.image(s.find(source)).qcow2().bitmaps;  // a copy: source may be target
  Qcow2Image& t = s.image(s.find(target)).qcow2();
  for (const DirtyBitmap& b : from) {
    // qmp_block_dirty_bitmap_add(persistent, disabled = !enabled): an existing name, or a
    // v2 target (qcow2_co_can_store_new_dirty_bitmap), fails and stops the copy.
    for (const DirtyBitmap& x : t.bitmaps)
      if (x.name == b.name) return OpError{"Failed to create bitmap " + b.name + ": Bitmap already exists: " + b.name};
    if (!t.v3) return OpError{"Failed to create bitmap " + b.name + ": Cannot store dirty bitmaps in qcow2 v2 files"};
    // do_dirty_bitmap_merge -> bdrv_merge_dirty_bitmap: sizes must match, or the new bitmap
    // is removed again and the copy stops.
    if (b.dirty.size() != t.virtual_size)
      return OpError{"Failed to populate bitmap " + b.name + ": Bitmaps are of different sizes"};
    // Same granularity: hbitmap_merge copies the bits as they are.
    t.bitmaps.push_back(DirtyBitmap{b.name, b.granularity, b.enabled, b.dirty});
  }
  return std::nullopt;
}

}  // namespace chaincheck::model
