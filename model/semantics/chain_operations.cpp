#include "model/semantics/chain_operations.hpp"

#include <algorithm>
#include <vector>

#include "model/semantics/bitmap_effects.hpp"
#include "model/semantics/chain.hpp"
#include "model/semantics/mirror_job.hpp"

namespace chaincheck::model {
namespace {

constexpr u64 kSector = 512;


// Writes bytes as data (a bounce buffer, as every copy loop below does) into `dst`.
std::optional<OpError> write_runs(ModelState& s, const Graph& dst, const std::vector<Extent<std::uint8_t>>& runs) {
  for (const auto& r : runs)
    if (auto err = apply(s, dst, {OpKind::Write, r.start, r.length, r.value, false})) return err;
  return std::nullopt;
}

// One flag per 512-byte sector of [off, off+len) (the last may be partial): whether `pred`
// holds for some byte of it. Runs are sorted and tile the range.
template <class Pred>
std::vector<bool> sectors_where(const std::vector<Extent<std::uint8_t>>& runs, u64 off, u64 len, Pred pred) {
  std::vector<bool> out((len + kSector - 1) / kSector, false);
  for (const auto& r : runs) {
    if (!pred(r)) continue;
    for (u64 i = (r.start - off) / kSector; i * kSector < r.end() - off; ++i) out[i] = true;
  }
  return out;
}

// Byte runs where two tilings of [off, off+len) differ.
std::vector<Extent<std::uint8_t>> differing(const std::vector<Extent<std::uint8_t>>& a,
                                            const std::vector<Extent<std::uint8_t>>& b) {
  std::vector<Extent<std::uint8_t>> out;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    u64 lo = std::max(a[i].start, b[j].start), hi = std::min(a[i].end(), b[j].end());
    if (hi > lo && a[i].value != b[j].value) out.push_back({lo, hi - lo, 1});
    if (a[i].end() == hi) ++i;
    if (b[j].end() == hi) ++j;
  }
  return out;
}

std::vector<Extent<std::uint8_t>> zeroes(u64 off, u64 len) { return {{off, len, 0}}; }

}  // namespace

// ------------------------------------------------------------------ qemu-img commit

std::optional<OpError> commit_image(ModelState& s, const CommitOptions& o) {
  int ti = s.find(o.top);
  if (ti < 0) return OpError{"Could not open '" + o.top + "'"};
  if (s.image(ti).format() != ImageFormat::Qcow2 || !s.image(ti).qcow2().backing_file)
    return OpError{"Image does not have a backing file"};
  Graph g = open_image(s, o.top);
  std::vector<int> layers = cow_layers(g, g.root);
  // img_commit: -b names an image of the chain (bdrv_find_backing_image), else the backing.
  std::size_t k = 1;
  if (o.base) {
    k = 0;
    for (std::size_t i = 1; i < layers.size() && k == 0; ++i)
      if (s.image(g.node(layers[i]).image).name == *o.base) k = i;
    if (k == 0) return OpError{"Did not find '" + *o.base + "' in the backing chain of '" + o.top + "'"};
  }
  // qemu-img commit is an active commit, i.e. a mirror job into the base (commit_active_start),
  // on a base opened with BDRV_O_UNMAP (img_commit opens the chain read-write with it).
  if (auto err = mirror_into_backing(s, o.top, k, OpenOptions{true})) {
    if (err->message.find("shorter qcow2") != std::string::npos)
      return OpError{"commit into a shorter qcow2 base is not modelled"};
    return err;
  }
  // img_commit: without -d the top is emptied (blk_make_empty -> qcow2_make_empty: every
  // cluster unallocated, its header and backing pointer unchanged). "-b implies -d".
  if (!o.drop && !o.base) {
    Qcow2Image& q = s.image(ti).qcow2();
    q.units = ExtentMap<Qcow2Unit>(q.virtual_size, Qcow2Unit{});
    q.data = ExtentMap<std::uint8_t>(q.virtual_size, 0);
    q.metadata_preallocated = false;
    q.next_host_cluster = 4 * q.cluster_size();
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ qemu-img rebase

std::optional<OpError> rebase_image(ModelState& s, const RebaseOptions& o) {
  int ii = s.find(o.image);
  if (ii < 0) return OpError{"Could not open '" + o.image + "'"};
  if (s.image(ii).format() != ImageFormat::Qcow2)
    return OpError{"Could not change the backing file to '" + o.backing + "': Operation not supported"};
  if (!o.backing.empty() && !o.backing_format)
    return OpError{"Could not change the backing file to '" + o.backing + "': backing format must be specified"};
  if (!o.unsafe) {
    Graph g = open_image(s, o.image);
    const int old_backing = g.node(g.root).backing;
    const u64 size = node_length(s, g, g.root);
    const u64 old_size = old_backing >= 0 ? node_length(s, g, old_backing) : 0;
    std::optional<Graph> gn;
    u64 new_size = 0;
    if (!o.backing.empty()) {
      if (s.find(o.backing) < 0) return OpError{"Could not open new backing file '" + o.backing + "'"};
      gn = open_image(s, o.backing);
      new_size = node_length(s, *gn, gn->root);
    }
    // img_rebase: every range the overlay does not allocate itself (bdrv_is_allocated) is
    // compared sector by sector between the old and the new backing; differing sectors get
    // the old bytes written into the overlay, or write-zeroes (no unmap) past the old end.
    u64 n = 0;
    for (u64 off = 0; off < size; off += n) {
      n = std::min<u64>(2 * 1024 * 1024, size - off);  // IO_BUF_SIZE
      LayerAnswer a = layer_status(s, g, g.root, off, n);
      n = a.status.pnum;
      if (a.status.flags & kAllocated) continue;
      bool old_zero = off >= old_size;
      if (!old_zero && off + n > old_size) n = old_size - off;
      if (gn && off < new_size && off + n > new_size) n = new_size - off;
      auto old_runs = old_zero ? zeroes(off, n) : content(s, g, old_backing, off, n);
      auto new_runs = (!gn || off >= new_size) ? zeroes(off, n) : content(s, *gn, gn->root, off, n);
      std::vector<bool> differ = sectors_where(differing(old_runs, new_runs), off, n, [](const auto&) { return true; });
      for (std::size_t i = 0; i < differ.size();) {
        std::size_t j = i;
        while (j < differ.size() && differ[j] == differ[i]) ++j;
        if (differ[i]) {
          u64 lo = off + i * kSector, hi = std::min(off + j * kSector, off + n);
          if (old_zero) {
            if (auto err = apply(s, g, {OpKind::WriteZeroes, lo, hi - lo, 0, false}, OpenOptions{false})) return err;
          } else {
            if (auto err = write_runs(s, g, content(s, g, old_backing, lo, hi - lo))) return err;
          }
        }
        i = j;
      }
    }
  }
  // bdrv_change_backing_file: only the header changes (no backing when -b "").
  Qcow2Image& q = s.image(ii).qcow2();
  if (o.backing.empty()) {
    q.backing_file.reset();
    q.backing_format.reset();
  } else {
    q.backing_file = o.backing;
    q.backing_format = o.backing_format;
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ qemu-img convert

namespace {

// is_allocated_sectors (qemu-img.c): the first run of equally zero / non-zero sectors;
// a run ending off the alignment is widened (data) or cut back (zero).
bool is_allocated_sectors(const std::vector<bool>& zero, std::size_t at, std::size_t n, std::size_t* pnum,
                          u64 sector_num, u64 alignment) {
  if (n == 0) {
    *pnum = 0;
    return false;
  }
  bool is_zero = zero[at];
  std::size_t i = 1;
  while (i < n && zero[at + i] == is_zero) ++i;
  if (i == n) {
    *pnum = i;
    return !is_zero;
  }
  u64 tail = (sector_num + i) & (alignment - 1);
  if (tail) {
    if (is_zero && i <= tail) is_zero = false;
    if (!is_zero) {
      i = std::min<std::size_t>(i + alignment - tail, n);
    } else {
      i -= tail;
    }
  }
  *pnum = i;
  return !is_zero;
}

// is_allocated_sectors_min: data continues over zero runs shorter than `min` sectors.
bool is_allocated_sectors_min(const std::vector<bool>& zero, std::size_t at, std::size_t n, std::size_t* pnum,
                              std::size_t min, u64 sector_num, u64 alignment) {
  if (n < min) min = n;
  bool ret = is_allocated_sectors(zero, at, n, pnum, sector_num, alignment);
  if (!ret) return ret;
  std::size_t used = *pnum, checked = *pnum;
  at += *pnum;
  n -= *pnum;
  sector_num += *pnum;
  while (n > 0) {
    ret = is_allocated_sectors(zero, at, n, pnum, sector_num, alignment);
    at += *pnum;
    n -= *pnum;
    sector_num += *pnum;
    checked += *pnum;
    if (ret) {
      used = checked;
    } else if (*pnum >= min) {
      break;
    }
  }
  *pnum = used;
  return true;
}

}  // namespace

std::optional<OpError> convert_image(ModelState& s, const ConvertOptions& o) {
  if (o.target_is_zero && !o.existing) return OpError{"--target-is-zero requires use of -n flag"};
  if (o.target_is_zero && o.backing)
    return OpError{"Cannot use --target-is-zero when the destination image has a backing file"};
  if (o.backing && o.existing) return OpError{"convert -n with -B is not modelled"};
  if (o.backing && o.target_format != ImageFormat::Qcow2) return OpError{"raw images have no backing file"};
  if (s.find(o.source) < 0) return OpError{"Could not open '" + o.source + "'"};
  if (o.source == o.target) return OpError{"converting an image onto itself is not modelled"};
  if (o.bitmaps)
    if (auto err = check_convert_bitmaps(s, o.source)) return err;
  Graph src = open_image(s, o.source);
  const u64 total = node_length(s, src, src.root);
  bool has_zero_init = false;
  std::optional<u64> target_backing_size;
  if (o.existing) {
    int t = s.find(o.target);
    if (t < 0) return OpError{"Could not open '" + o.target + "'"};
    if (s.image(t).format() != o.target_format) return OpError{"convert -n: the target's format differs from -O"};
    if (s.image(t).guest_length() < total) return OpError{"output file is smaller than input file"};
    has_zero_init = o.target_is_zero;  // img_convert: skip_create -> only --target-is-zero
  } else {
    // The target is created like qemu-img create, at the source's size.
    CreateOptions c;
    c.name = o.target;
    c.format = o.target_format;
    c.size = total;
    c.cluster_bits = o.cluster_bits;
    c.backing_file = o.backing;
    c.backing_format = o.backing_format;
    if (auto err = create_image(s, c)) return err;
    // convert_do_copy: a new target without a backing starts zeroed (bdrv_has_zero_init).
    has_zero_init = !o.backing;
    if (o.backing) {
      Graph b = open_image(s, *o.backing);
      target_backing_size = node_length(s, b, b.root);
    }
  }
  if (o.bitmaps)
    if (auto err = check_convert_target_bitmaps(s, o.target)) return err;
  Graph dst = open_image(s, o.target);
  src = open_image(s, o.source);
  // Statuses are cut back to the source's cluster (s->src_alignment), data is copied in
  // buffers of 2M (or the target's cluster), zero detection works on 4k (min_sparse = 8).
  const Image& sim = s.image(src.node(src.root).image);
  u64 src_align = sim.format() == ImageFormat::Qcow2 ? sim.qcow2().cluster_size() / kSector : 1;
  const Image& tim = s.image(dst.node(dst.root).image);
  u64 buf = 4096;
  if (tim.format() == ImageFormat::Qcow2) buf = std::max<u64>(buf, tim.qcow2().cluster_size() / kSector);
  const u64 min_sparse = 8, alignment = 8;
  const u64 sectors = (total + kSector - 1) / kSector;
  enum { Data, Zero, Backing } status = Data;
  u64 next_status = 0;
  for (u64 sec = 0; sec < sectors;) {
    u64 n = sectors - sec;
    bool post_backing_zero = false;
    if (target_backing_size) {
      u64 tbs = *target_backing_size / kSector;
      if (sec >= tbs) post_backing_zero = true;
      else if (sec + n > tbs) n = tbs - sec;
    }
    if (next_status <= sec) {
      // convert_iteration_sectors: with -B only the source's top layer is asked (base =
      // its backing); otherwise the whole chain. One call each: a qcow2 source answers at
      // most to an L2 slice end, and each answer is written on its own (a zero answer
      // shorter than a target cluster falls back to writing zero bytes).
      BlockStatus st = o.backing ? layer_status_call(s, src, src.root, sec * kSector, n * kSector).status
                                 : block_status_call(s, src, src.root, sec * kSector, n * kSector);
      n = (st.pnum + kSector - 1) / kSector;
      u64 tail = (sec + n) % src_align;
      if (n > tail) n -= tail;
      if (st.flags & kZero) status = post_backing_zero ? Backing : Zero;
      else if (st.flags & kData) status = Data;
      else status = o.backing ? Backing : Data;
      next_status = sec + n;
    }
    n = std::min(n, next_status - sec);
    if (status == Data) n = std::min(n, buf);
    u64 off = sec * kSector, len = std::min(n * kSector, total - off);
    // convert_co_write
    if (status == Data) {
      auto runs = content(s, src, src.root, off, len);
      std::vector<bool> zero = sectors_where(runs, off, len, [](const auto& r) { return r.value != 0; });
      zero.flip();
      for (std::size_t i = 0; i < zero.size();) {
        std::size_t pn = 0;
        bool data = is_allocated_sectors_min(zero, i, zero.size() - i, &pn, min_sparse, sec + i, alignment);
        u64 lo = off + i * kSector, hi = std::min(off + (i + pn) * kSector, off + len);
        if (data) {
          if (auto err = write_runs(s, dst, content(s, src, src.root, lo, hi - lo))) return err;
        } else if (!has_zero_init) {
          if (auto err = apply(s, dst, {OpKind::WriteZeroes, lo, hi - lo, 0, true}, OpenOptions{true})) return err;
        }
        i += pn;
      }
    } else if (status == Zero && !has_zero_init) {
      // Zero ranges: nothing on a zero-initialised target, else write-zeroes with MAY_UNMAP.
      if (auto err = apply(s, dst, {OpKind::WriteZeroes, off, len, 0, true}, OpenOptions{true})) return err;
    }
    // Backing: left unallocated so the backing file shows through.
    sec += n;
  }
  // img_convert: "Now copy the bitmaps", after a successful copy.
  if (o.bitmaps) return copy_bitmaps_for_convert(s, o.source, o.target);
  return std::nullopt;
}

}  // namespace chaincheck::model
