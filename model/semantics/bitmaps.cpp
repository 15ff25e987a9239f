#include "model/semantics/bitmaps.hpp"

namespace chaincheck::model {

DirtyBitmap* find_bitmap(Qcow2Image& q, const std::string& name) {
  for (DirtyBitmap& b : q.bitmaps)
    if (b.name == name) return &b;
  return nullptr;
}

namespace {

bool power_of_two(u64 v) { return v && !(v & (v - 1)); }

// hbitmap_set: [offset, offset+length) rounded out to granules, clipped at the size.
void set_granules(DirtyBitmap& b, u64 offset, u64 length) {
  u64 size = b.dirty.size();
  if (length == 0 || offset >= size) return;
  u64 lo = round_down(offset, b.granularity);
  u64 hi = std::min(round_up(offset + length, b.granularity), size);
  b.dirty.assign(lo, hi - lo, true);
}

std::optional<OpError> apply_action(Qcow2Image& q, const Qcow2Image* src_image, const BitmapCommand& c,
                                    const BitmapAction& a) {
  const std::string& name = c.bitmap;
  auto not_found = [](const std::string& n) { return OpError{"Dirty bitmap '" + n + "' not found"}; };
  if (a.kind == BitmapAction::Kind::Add) {
    // block_dirty_bitmap_add, then qcow2_co_can_store_new_dirty_bitmap.
    if (name.empty()) return OpError{"Bitmap name cannot be empty"};
    if (name.size() > 1023) return OpError{"Bitmap name is too long"};
    u64 g = c.granularity.value_or(default_bitmap_granularity(q));
    if (g < 512 || !power_of_two(g)) return OpError{"Granularity must be power of 2 and at least 512"};
    if (g > (u64{1} << 31)) return OpError{"Granularity exceeds maximum (2147483648 bytes)"};
    if (find_bitmap(q, name)) return OpError{"Bitmap already exists: " + name};
    if (!q.v3) return OpError{"Cannot store dirty bitmaps in qcow2 v2 files"};
    // QMP's default for a new bitmap: enabled, empty, over the image's length.
    q.bitmaps.push_back(DirtyBitmap{name, g, true, ExtentMap<bool>(q.virtual_size, false)});
    return std::nullopt;
  }
  DirtyBitmap* b = find_bitmap(q, name);
  if (!b) return not_found(name);
  switch (a.kind) {
    case BitmapAction::Kind::Add: break;
    case BitmapAction::Kind::Remove:
      q.bitmaps.erase(q.bitmaps.begin() + (b - q.bitmaps.data()));
      break;
    case BitmapAction::Kind::Clear: b->dirty = ExtentMap<bool>(b->dirty.size(), false); break;
    case BitmapAction::Kind::Enable: b->enabled = true; break;
    case BitmapAction::Kind::Disable: b->enabled = false; break;
    case BitmapAction::Kind::Merge: {
      // block_dirty_bitmap_merge -> bdrv_merge_dirty_bitmap: sizes must match; with other
      // granularities hbitmap_sparse_merge sets each dirty area at the target's granularity.
      const Qcow2Image& sq = src_image ? *src_image : q;
      const DirtyBitmap* src = nullptr;
      for (const DirtyBitmap& x : sq.bitmaps)
        if (x.name == a.source) src = &x;
      if (!src) return not_found(a.source);
      if (src->dirty.size() != b->dirty.size())
        return OpError{"Bitmaps are of different sizes (destination size is " + std::to_string(b->dirty.size()) +
                       ", source size is " + std::to_string(src->dirty.size()) + ") and can't be merged"};
      ExtentMap<bool> copy = src->dirty;  // src may be b itself
      for (const auto& e : copy.extents())
        if (e.value) set_granules(*b, e.start, e.length);
      break;
    }
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(BitmapAction::Kind k) {
  switch (k) {
    case BitmapAction::Kind::Add: return "add";
    case BitmapAction::Kind::Remove: return "remove";
    case BitmapAction::Kind::Clear: return "clear";
    case BitmapAction::Kind::Enable: return "enable";
    case BitmapAction::Kind::Disable: return "disable";
    case BitmapAction::Kind::Merge: return "merge";
  }
  return "?";
}

std::optional<BitmapAction::Kind> bitmap_action_from_string(const std::string& s) {
  using K = BitmapAction::Kind;
  for (K k : {K::Add, K::Remove, K::Clear, K::Enable, K::Disable, K::Merge})
    if (s == to_string(k)) return k;
  return std::nullopt;
}

u64 default_bitmap_granularity(const Qcow2Image& q) {
  return std::min<u64>(65536, std::max<u64>(4096, q.cluster_size()));
}

std::optional<OpError> apply_bitmap_command(ModelState& s, const BitmapCommand& c) {
  // img_bitmap's own checks come before the image is opened.
  if (c.actions.empty())
    return OpError{"Need at least one of --add, --remove, --clear, --enable, --disable, or --merge"};
  bool add = false, merge = false;
  for (const auto& a : c.actions) {
    add |= a.kind == BitmapAction::Kind::Add;
    merge |= a.kind == BitmapAction::Kind::Merge;
  }
  if (c.granularity && !add) return OpError{"granularity only supported with --add"};
  if (c.source_image && !merge) return OpError{"Merge bitmap source file only supported with --merge"};
  int i = s.find(c.image);
  if (i < 0) return OpError{"Could not open '" + c.image + "': No such file or directory"};
  if (s.image(i).format() != ImageFormat::Qcow2) {
    // Only the actions that need a bitmap fail on raw: add cannot store it, the others
    // find none (the first action decides).
    if (c.actions.front().kind == BitmapAction::Kind::Add)
      return OpError{"Operation add on bitmap " + c.bitmap + " failed: Can't make bitmap '" + c.bitmap +
                     "' persistent in '" + c.image + "'"};
    return OpError{"Operation " + std::string(to_string(c.actions.front().kind)) + " on bitmap " + c.bitmap +
                   " failed: Dirty bitmap '" + c.bitmap + "' not found"};
  }
  const Qcow2Image* src_image = nullptr;
  if (c.source_image) {
    int si = s.find(*c.source_image);
    if (si < 0) return OpError{"Could not open '" + *c.source_image + "': No such file or directory"};
    if (s.image(si).format() != ImageFormat::Qcow2)
      return OpError{"Operation merge on bitmap " + c.bitmap + " failed: source has no bitmaps"};
    src_image = &s.image(si).qcow2();
  }
  Qcow2Image& q = s.image(i).qcow2();
  for (const BitmapAction& a : c.actions)
    if (auto err = apply_action(q, src_image, c, a))
      return OpError{"Operation " + std::string(to_string(a.kind)) + " on bitmap " + c.bitmap + " failed: " +
                     err->message};
  return std::nullopt;
}

void mark_dirty(Qcow2Image& q, u64 offset, u64 length) {
  for (DirtyBitmap& b : q.bitmaps)
    if (b.enabled) set_granules(b, offset, length);
}

const DirtyBitmap* find_export_bitmap(const ModelState& s, const Graph& g, const std::string& name) {
  int n = g.root;
  while (n >= 0) {
    const Node& node = g.node(n);
    // The raw format driver is no filter (raw-format.c has no is_filter), so the search
    // stops at a raw window; blkdebug, copy-on-read, throttle, preallocate, compress pass.
    if (node.kind == NodeKind::RawWindow) return nullptr;
    if (node.kind != NodeKind::Image) {
      n = node.child;
      continue;
    }
    const Image& img = s.image(node.image);
    if (img.format() == ImageFormat::Qcow2)
      for (const DirtyBitmap& b : img.qcow2().bitmaps)
        if (b.name == name) return &b;
    n = node.backing;
  }
  return nullptr;
}

}  // namespace chaincheck::model
