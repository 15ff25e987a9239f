#include "model/semantics/runtime_bitmaps.hpp"

#include <algorithm>

namespace chaincheck::model {

namespace {

OpError not_found(const std::string& name) { return OpError{"Dirty bitmap '" + name + "' not found"}; }

// hbitmap_set over every dirty area of `src`, at the target's granularity
// (hbitmap_sparse_merge via bdrv_merge_dirty_bitmap).
void merge_into(DirtyBitmap& dst, const ExtentMap<bool>& src) {
  u64 size = dst.dirty.size();
  for (const auto& e : src.extents()) {
    if (!e.value || e.start >= size) continue;
    u64 lo = round_down(e.start, dst.granularity);
    u64 hi = std::min(round_up(e.start + e.length, dst.granularity), size);
    dst.dirty.assign(lo, hi - lo, true);
  }
}

bool power_of_two(u64 v) { return v && !(v & (v - 1)); }

}  // namespace

std::optional<OpError> apply_runtime_bitmap_op(ModelState& s, const RuntimeBitmapOp& op) {
  int i = s.find(op.image);
  if (i < 0 || s.image(i).format() != ImageFormat::Qcow2) return OpError{"Node '" + op.image + "' has no qcow2 image"};
  Qcow2Image& q = s.image(i).qcow2();
  using K = BitmapAction::Kind;
  if (op.kind == K::Add) {
    // qmp_block_dirty_bitmap_add, then bdrv_create_dirty_bitmap.
    if (op.name.empty()) return OpError{"Bitmap name cannot be empty"};
    u64 g = op.granularity.value_or(default_bitmap_granularity(q));
    if (g < 512 || !power_of_two(g)) return OpError{"Granularity must be power of 2 and at least 512"};
    // bdrv_can_store_new_dirty_bitmap -> qcow2_co_can_store_new_dirty_bitmap, persistent only.
    if (op.persistent && !q.v3) return OpError{"Cannot store dirty bitmaps in qcow2 v2 files"};
    if (find_bitmap(q, op.name)) return OpError{"Bitmap already exists: " + op.name};
    if (op.name.size() > 1023) return OpError{"Bitmap name is too long"};
    DirtyBitmap b{op.name, g, !op.disabled, ExtentMap<bool>(q.virtual_size, false)};
    b.persistent = op.persistent;
    q.bitmaps.push_back(std::move(b));
    return std::nullopt;
  }
  DirtyBitmap* b = find_bitmap(q, op.name);
  if (!b) return not_found(op.name);
  switch (op.kind) {
    case K::Add: break;
    // qmp_block_dirty_bitmap_remove: a persistent one goes from the image too
    // (bdrv_remove_persistent_dirty_bitmap).
    case K::Remove: q.bitmaps.erase(q.bitmaps.begin() + (b - q.bitmaps.data())); break;
    case K::Clear: b->dirty = ExtentMap<bool>(b->dirty.size(), false); break;
    case K::Enable: b->enabled = true; break;
    case K::Disable: b->enabled = false; break;
    case K::Merge: {
      // block_dirty_bitmap_merge: every source into an anonymous copy first, so a missing
      // source or a size mismatch leaves the target untouched.
      std::vector<ExtentMap<bool>> sources;
      for (const auto& [image, name] : op.sources) {
        int si = s.find(image);
        const DirtyBitmap* src = nullptr;
        if (si >= 0 && s.image(si).format() == ImageFormat::Qcow2)
          for (const DirtyBitmap& x : s.image(si).qcow2().bitmaps)
            if (x.name == name) src = &x;
        if (!src) return not_found(name);
        if (src->dirty.size() != b->dirty.size())
          return OpError{"Bitmaps are of different sizes (destination size is " + std::to_string(b->dirty.size()) +
                         ", source size is " + std::to_string(src->dirty.size()) + ") and can't be merged"};
        sources.push_back(src->dirty);
      }
      b = find_bitmap(s.image(i).qcow2(), op.name);
      for (const auto& src : sources) merge_into(*b, src);
      break;
    }
  }
  return std::nullopt;
}

void close_runtime_bitmaps(ModelState& s, const std::string& image) {
  int i = s.find(image);
  if (i < 0 || s.image(i).format() != ImageFormat::Qcow2) return;
  auto& bitmaps = s.image(i).qcow2().bitmaps;
  bitmaps.erase(std::remove_if(bitmaps.begin(), bitmaps.end(), [](const DirtyBitmap& b) { return !b.persistent; }),
                bitmaps.end());
}

}  // namespace chaincheck::model
