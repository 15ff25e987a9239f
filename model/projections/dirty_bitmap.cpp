#include "model/projections/dirty_bitmap.hpp"

namespace chaincheck::model {

std::string dirty_bitmap_context(const std::string& bitmap_name) { return kDirtyBitmapPrefix + bitmap_name; }

std::vector<NbdExtent> dirty_bitmap_extents(const DirtyBitmap& b, u64 offset, u64 length) {
  std::vector<NbdExtent> out;
  u64 end = offset + length;
  b.dirty.for_each(offset, length, [&](const Extent<bool>& e) {
    out.push_back({e.start, e.length, e.value ? kNbdDirty : 0u});
  });
  // bitmap_to_extents ends with a clean extent up to the request's end, also past the
  // bitmap's size (never the case for an export: its size is the image's, sector-aligned).
  u64 covered = out.empty() ? offset : out.back().end();
  if (covered < end) out.push_back({covered, end - covered, 0});
  return merge_equal(std::move(out));
}

}  // namespace chaincheck::model
