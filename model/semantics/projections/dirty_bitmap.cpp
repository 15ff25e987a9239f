#include "model/semantics/projections/dirty_bitmap.hpp"

#include <stdexcept>

namespace chaincheck::model {

std::string dirty_bitmap_context(const std::string& bitmap_name) { return kDirtyBitmapPrefix + bitmap_name; }

namespace {

std::vector<NbdExtent> precise(const DirtyBitmap& b, u64 offset, u64 length) {
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

}  // namespace

std::vector<NbdExtent> dirty_bitmap_extents(const DirtyBitmap& b, u64 offset, u64 length, u64 min_block) {
  std::vector<NbdExtent> exact = precise(b, offset, length);
  if (min_block <= 1) return exact;
  std::vector<NbdExtent> out;
  u64 end = offset + length;
  std::size_t i = 0;
  for (u64 blk = offset; blk < end;) {
    while (i < exact.size() && exact[i].end() <= blk) ++i;
    if (i == exact.size()) break;
    // Whole blocks inside one extent keep its value: jump over them (extent-based, never a
    // loop per block over a huge image).
    u64 whole = offset + round_down(exact[i].end() - offset, min_block);
    if (whole > blk) {
      out.push_back({blk, std::min(whole, end) - blk, exact[i].value});
      blk = std::min(whole, end);
      continue;
    }
    u64 be = std::min(blk + min_block, end);
    std::uint32_t v = 0;
    for (std::size_t k = i; k < exact.size() && exact[k].start < be; ++k) v |= exact[k].value;
    out.push_back({blk, be - blk, v});
    blk = be;
  }
  return merge_equal(std::move(out));
}

std::vector<NbdExtent> joint_with_bitmaps(const std::vector<NbdExtent>& base_allocation,
                                          const std::vector<NbdExtent>& allocation_depth,
                                          const std::vector<std::vector<NbdExtent>>& bitmaps) {
  if (bitmaps.size() > kMaxJointBitmaps)
    throw std::invalid_argument("at most " + std::to_string(kMaxJointBitmaps) + " bitmaps fit in one 32-bit flag word");
  std::vector<std::vector<NbdExtent>> contexts = {joint_from_contexts(base_allocation, allocation_depth)};
  contexts.insert(contexts.end(), bitmaps.begin(), bitmaps.end());
  std::vector<NbdExtent> out;
  for (const MergedExtent& m : merge_contexts(contexts)) {
    std::uint32_t v = m.values[0];
    for (std::size_t i = 0; i < bitmaps.size(); ++i)
      if (m.values[i + 1] & kNbdDirty) v |= std::uint32_t{1} << (4 + i);
    out.push_back({m.start, m.length, v});
  }
  return merge_equal(std::move(out));
}

}  // namespace chaincheck::model
