#include "model/semantics/operations.hpp"

#include "model/semantics/bitmaps.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

#include "model/semantics/chain.hpp"

namespace chaincheck::model {

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::Write: return "write";
    case OpKind::WriteZeroes: return "write-zeroes";
    case OpKind::Discard: return "discard";
    case OpKind::WriteCompressed: return "write-compressed";
  }
  return "?";
}

namespace {

std::string num(u64 v) { return std::to_string(v); }

// ---------------------------------------------------------------- creation

void init_qcow2_units(Qcow2Image& q) {
  Qcow2Unit u;
  q.data = ExtentMap<std::uint8_t>(q.virtual_size, 0);
  q.next_host_cluster = 4 * q.cluster_size();  // header, L1, refcount table, block
  if (q.preallocation == Preallocation::Off) {
    q.units = ExtentMap<Qcow2Unit>(q.virtual_size, u);
    return;
  }
  // Preallocated clusters are contiguous on the host. With extended L2 they keep their
  // host offset but no subcluster is allocated (QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC: preallocate_co in block/qcow2.c).
  u64 host = q.next_host_cluster;
  u.host_delta = static_cast<std::int64_t>(host);
  if (q.extended_l2) {
    u.type = ClusterType::UnallocatedAlloc;
  } else {
    u.type = ClusterType::Normal;
    u.host_hole = q.preallocation == Preallocation::Metadata;
  }
  q.units = ExtentMap<Qcow2Unit>(q.virtual_size, u);
  q.next_host_cluster = host + round_up(q.virtual_size, q.cluster_size());
  // qcow2_detect_metadata_preallocation fires when the file has far fewer allocated
  // clusters than refcounted ones: true for metadata, false for falloc/full.
  q.metadata_preallocated = q.preallocation == Preallocation::Metadata && !q.extended_l2;
}

}  // namespace

std::optional<OpError> create_image(ModelState& s, const CreateOptions& o) {
  Image img;
  img.name = o.name;
  if (o.format == ImageFormat::Raw) {
    if (!o.size) return OpError{"raw image '" + o.name + "' needs a size"};
    if (o.backing_file) return OpError{"raw images have no backing file"};
    RawImage r;
    r.file_size = *o.size;
    r.content = ExtentMap<std::uint8_t>(r.file_size, 0);
    r.host_data = ExtentMap<bool>(r.file_size, false);
    // allocate_first_block (file-posix): qemu-img create writes zeroes to the first block
    // so the file's alignment can be probed; the host then has one fs block of data.
    u64 first = std::min(r.file_size, s.host.granularity);
    if (first > 0) r.host_data.assign(0, first, true);
    img.body = std::move(r);
  } else {
    if (o.cluster_bits < 9 || o.cluster_bits > 21)
      return OpError{"cluster size must be a power of two between 512 and 2M"};
    if (o.extended_l2 && o.cluster_bits < 14)
      return OpError{"extended L2 entries are only supported with cluster sizes of at least 16384 bytes"};
    if (o.extended_l2 && !o.v3) return OpError{"extended L2 entries need compat=1.1"};
    if (o.backing_file && o.preallocation != Preallocation::Off && !o.extended_l2)
      return OpError{"backing file and preallocation can only be used at the same time if extended_l2 is on"};
    Qcow2Image q;
    q.cluster_bits = o.cluster_bits;
    q.extended_l2 = o.extended_l2;
    q.v3 = o.v3;
    q.preallocation = o.preallocation;
    q.backing_file = o.backing_file;
    q.backing_format = o.backing_format;
    if (o.size) {
      q.virtual_size = round_up(*o.size, 512);  // qcow2 sizes are sector-granular
    } else if (o.backing_file) {
      int b = s.find(*o.backing_file);
      if (b < 0) return OpError{"could not open backing file '" + *o.backing_file + "'"};
      q.virtual_size = s.image(b).guest_length();
    } else {
      return OpError{"qcow2 image '" + o.name + "' needs a size or a backing file"};
    }
    init_qcow2_units(q);
    img.body = std::move(q);
  }
  int existing = s.find(o.name);
  if (existing >= 0) {
    s.images[static_cast<std::size_t>(existing)] = std::move(img);
  } else {
    s.images.push_back(std::move(img));
  }
  return std::nullopt;
}

std::optional<OpError> truncate_file(ModelState& s, const std::string& name, u64 size) {
  int i = s.find(name);
  if (i < 0) {
    Image img;
    img.name = name;
    RawImage r;
    r.file_size = size;
    r.content = ExtentMap<std::uint8_t>(size, 0);
    r.host_data = ExtentMap<bool>(size, false);
    img.body = std::move(r);
    s.images.push_back(std::move(img));
    return std::nullopt;
  }
  Image& img = s.image(i);
  if (img.format() != ImageFormat::Raw)
    return OpError{"truncate of qcow2 image '" + name + "' is not modelled"};
  RawImage& r = img.raw();
  // A shrink drops the bytes; a grow adds a hole.
  r.content.resize(size, 0);
  r.host_data.resize(size, false);
  r.file_size = size;
  return std::nullopt;
}

namespace {

// ---------------------------------------------------------------- raw files

void raw_mark_data(RawImage& r, const HostFs& fs, u64 off, u64 end) {
  u64 a = round_down(off, fs.granularity);
  u64 b = std::min(round_up(end, fs.granularity), r.file_size);
  if (b > a) r.host_data.assign(a, b - a, true);
}

void raw_grow(RawImage& r, u64 end) {
  if (end > r.file_size) {
    r.content.resize(end, 0);
    r.host_data.resize(end, false);
    r.file_size = end;
  }
}

// Whole fs blocks inside [off, end) become holes; partial blocks keep their allocation.
void raw_make_holes(RawImage& r, const HostFs& fs, u64 off, u64 end) {
  if (!fs.zeroing_makes_holes) return;
  u64 a = round_up(off, fs.granularity);
  u64 b = round_down(end, fs.granularity);
  if (end == r.file_size) b = end;  // the file's last partial block ends at EOF
  if (b > a) r.host_data.assign(a, b - a, false);
}

std::optional<OpError> raw_apply(ModelState& s, Image& img, const GuestOp& op) {
  RawImage& r = img.raw();
  u64 end = op.offset + op.length;
  switch (op.kind) {
    case OpKind::Write:
      raw_grow(r, end);
      r.content.assign(op.offset, op.length, op.pattern);
      raw_mark_data(r, s.host, op.offset, end);
      return std::nullopt;
    case OpKind::WriteZeroes:
      // handle_aiocb_write_zeroes: ZERO_RANGE (or PUNCH_HOLE with -u); both read back as
      // holes on ext4 (raw_co_block_status, SEEK_DATA), filesystem-dependent: HostFs says.
      raw_grow(r, end);
      r.content.assign(op.offset, op.length, 0);
      raw_make_holes(r, s.host, op.offset, end);
      return std::nullopt;
    case OpKind::Discard: {
      // PUNCH_HOLE over the exact range: partial blocks are zeroed, whole ones freed.
      u64 e = std::min(end, r.file_size);
      if (e > op.offset) {
        r.content.assign(op.offset, e - op.offset, 0);
        raw_make_holes(r, s.host, op.offset, e);
      }
      return std::nullopt;
    }
    case OpKind::WriteCompressed:
      return OpError{"write -c: image format 'raw' does not support compressed writes"};
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- qcow2

struct Qcow2Target {
  ModelState& s;
  const Graph& g;
  int node;     // the format node
  Qcow2Image& q;
  bool has_backing;  // bs->backing opened (not merely named in the header)
};

// Host delta of the cluster containing `cluster_start`, if it has a host cluster.
std::optional<std::int64_t> cluster_delta(const Qcow2Image& q, u64 cluster_start) {
  u64 end = std::min(cluster_start + q.cluster_size(), q.virtual_size);
  std::optional<std::int64_t> d;
  q.units.for_each(cluster_start, end - cluster_start, [&](const Extent<Qcow2Unit>& e) {
    if (!d && has_host_cluster(e.value.type)) d = e.value.host_delta;
  });
  return d;
}

bool cluster_compressed(const Qcow2Image& q, u64 cluster_start) {
  return q.units.at(cluster_start).value.type == ClusterType::Compressed;
}

std::int64_t new_host_cluster(Qcow2Image& q, u64 cluster_start) {
  u64 host = q.next_host_cluster;
  q.next_host_cluster += q.cluster_size();
  return static_cast<std::int64_t>(host) - static_cast<std::int64_t>(cluster_start);
}

// A cluster that gains a host cluster keeps its subclusters' bits: unallocated ones become
// UNALLOCATED_ALLOC and zero ones ZERO_ALLOC (qcow2_get_subcluster_type, block/qcow2.h).
void give_cluster_host(Qcow2Image& q, u64 cluster_start, std::int64_t delta) {
  u64 end = std::min(cluster_start + q.cluster_size(), q.virtual_size);
  // Run by run: each assign rewrites only the run just read, so the next one still holds
  // its old value (no list of the cluster's runs is built: one allocation per cluster).
  for (u64 pos = cluster_start; pos < end;) {
    Extent<Qcow2Unit> e = q.units.at(pos);
    u64 run_end = std::min(e.end(), end);
    Qcow2Unit u = e.value;
    if (u.type == ClusterType::Unallocated) u.type = ClusterType::UnallocatedAlloc;
    if (u.type == ClusterType::ZeroPlain) u.type = ClusterType::ZeroAlloc;
    u.host_delta = delta;
    q.units.assign(pos, run_end - pos, u);
    pos = run_end;
  }
}

// The whole clusters from cluster `c` on that lie inside both [c, b) and the run holding
// `c` (the image's final partial cluster counts as whole): they share that run's unit, so
// operations treat them in one assign. n = 0 or 1 means no span worth taking.
struct WholeClusters {
  Qcow2Unit unit;
  u64 n;     // how many clusters
  u64 stop;  // c + n clusters, clipped at the image end
};
WholeClusters whole_clusters_in_run(const Qcow2Image& q, u64 c, u64 b) {
  u64 C = q.cluster_size();
  Extent<Qcow2Unit> e = q.units.at(c);
  u64 span_end = std::min(e.end(), b);
  u64 n = span_end == q.virtual_size ? (span_end - c + C - 1) / C : (span_end - c) / C;
  return {e.value, n, std::min(c + n * C, q.virtual_size)};
}

// Turn [a, b) (unit-aligned, possibly whole compressed clusters) into NORMAL data.
void make_normal(Qcow2Image& q, u64 a, u64 b) {
  u64 C = q.cluster_size();
  for (u64 c = round_down(a, C); c < b; c += C) {
    u64 lo = std::max(a, c), hi = std::min({b, c + C, q.virtual_size});
    if (lo == c) {
      // Whole clusters inside one run without host clusters get consecutive new host
      // clusters, i.e. one host delta: one assign for the lot (the per-cluster loop below
      // would give each the same delta, one at a time).
      WholeClusters w = whole_clusters_in_run(q, c, b);
      if ((w.unit.type == ClusterType::Unallocated || w.unit.type == ClusterType::ZeroPlain) && w.n > 1) {
        std::int64_t delta = new_host_cluster(q, c);
        q.next_host_cluster += (w.n - 1) * C;
        q.units.assign(c, w.stop - c, Qcow2Unit{ClusterType::Normal, delta, false});
        c += (w.n - 1) * C;  // the loop adds the last C
        continue;
      }
    }
    std::int64_t delta;
    if (auto d = cluster_delta(q, c)) {
      delta = *d;
    } else {
      delta = new_host_cluster(q, c);
      if (!cluster_compressed(q, c)) give_cluster_host(q, c, delta);
    }
    q.units.assign(lo, hi - lo, Qcow2Unit{ClusterType::Normal, delta, false});
  }
}

// Range of units touched by [off, end), widened to whole compressed clusters.
std::pair<u64, u64> touched_units(const Qcow2Image& q, u64 off, u64 end) {
  u64 S = q.subcluster_size(), C = q.cluster_size();
  u64 a = round_down(off, S), b = std::min(round_up(end, S), q.virtual_size);
  if (cluster_compressed(q, round_down(a, C))) a = round_down(a, C);
  u64 last = round_down(b - 1, C);
  if (cluster_compressed(q, last)) b = std::min(last + C, q.virtual_size);
  return {a, b};
}

// A data write: the touched (sub)clusters become NORMAL; bytes outside the request are
// copied from what the guest read before (COW from the backing file or the old cluster).
void qcow2_write(Qcow2Target& t, u64 off, u64 len, std::uint8_t pattern) {
  Qcow2Image& q = t.q;
  u64 end = off + len;
  auto [a, b] = touched_units(q, off, end);
  auto head = content(t.s, t.g, t.node, a, off - a);
  auto tail = content(t.s, t.g, t.node, end, b - end);
  for (const auto& e : head) q.data.assign(e.start, e.length, e.value);
  for (const auto& e : tail) q.data.assign(e.start, e.length, e.value);
  q.data.assign(off, len, pattern);
  make_normal(q, a, b);
}

bool unit_is_unallocated_or_zero(ClusterType t) {
  return t == ClusterType::Unallocated || t == ClusterType::UnallocatedAlloc ||
         t == ClusterType::ZeroPlain || t == ClusterType::ZeroAlloc;
}

// is_zero() in qcow2.c: the range reads as zero *according to block status* of the whole
// chain (any ZERO counts, inferred ones too); the image end clips it.
bool status_says_zero(Qcow2Target& t, u64 off, u64 len) {
  u64 end = std::min(off + len, t.q.virtual_size);
  for (u64 pos = off; pos < end;) {
    BlockStatus st = block_status(t.s, t.g, t.node, pos, end - pos);
    if (st.pnum == 0) break;
    if (!(st.flags & kZero)) return false;
    pos += st.pnum;
  }
  return true;
}

// qcow2_subcluster_zeroize on v3 for a unit-aligned range.
void zeroize_v3(Qcow2Image& q, u64 a, u64 b, bool may_unmap) {
  u64 C = q.cluster_size();
  for (u64 c = round_down(a, C); c < b; c += C) {
    u64 cend = std::min(c + C, q.virtual_size);
    u64 lo = std::max(a, c), hi = std::min(b, cend);
    bool whole = lo == c && hi == cend;
    if (whole) {
      // Whole clusters inside one run (not compressed) share its type and host delta, so
      // each gets the same new entry: one assign for the lot.
      WholeClusters w = whole_clusters_in_run(q, c, b);
      if (w.n > 1 && w.unit.type != ClusterType::Compressed) {
        bool host = has_host_cluster(w.unit.type);
        if ((may_unmap && host) || !host) {
          q.units.assign(c, w.stop - c, Qcow2Unit{ClusterType::ZeroPlain, 0, false});
        } else {
          q.units.assign(c, w.stop - c, Qcow2Unit{ClusterType::ZeroAlloc, w.unit.host_delta, false});
        }
        c += (w.n - 1) * C;  // the loop adds the last C
        continue;
      }
    }
    auto delta = cluster_delta(q, c);
    bool compressed = cluster_compressed(q, c);
    if (whole) {
      // zero_in_l2_slice: unmap = COMPRESSED || (MAY_UNMAP && allocated);
      // new entry = (unmap ? 0 : old) | ZERO.
      bool allocated = compressed || delta.has_value();
      bool unmap = compressed || (may_unmap && allocated);
      if (unmap || !delta) {
        q.units.assign(c, cend - c, Qcow2Unit{ClusterType::ZeroPlain, 0, false});
      } else {
        q.units.assign(c, cend - c, Qcow2Unit{ClusterType::ZeroAlloc, *delta, false});
      }
    } else {
      // zero_l2_subclusters: set the zero bits, clear the alloc bits, keep the host cluster.
      if (delta) {
        q.units.assign(lo, hi - lo, Qcow2Unit{ClusterType::ZeroAlloc, *delta, false});
      } else {
        q.units.assign(lo, hi - lo, Qcow2Unit{ClusterType::ZeroPlain, 0, false});
      }
    }
  }
}

void qcow2_write_zeroes(Qcow2Target& t, u64 off, u64 len, bool may_unmap) {
  Qcow2Image& q = t.q;
  u64 S = q.subcluster_size();
  u64 end = off + len;
  // bdrv_co_do_pwrite_zeroes splits at pwrite_zeroes_alignment = subcluster size into a
  // head, an aligned middle and a tail; each goes to qcow2_co_pwrite_zeroes.
  struct Piece { u64 off, end; };
  std::array<Piece, 3> pieces;  // at most head, middle, tail: no allocation
  std::size_t count = 0;
  u64 head_end = std::min(end, round_up(off, S));
  if (head_end > off) pieces[count++] = {off, head_end};
  u64 mid_end = std::max(head_end, round_down(end, S));
  if (mid_end > head_end) pieces[count++] = {head_end, mid_end};
  if (end > mid_end) pieces[count++] = {mid_end, end};

  for (const Piece& p : std::span(pieces.data(), count)) {
    u64 a = round_down(p.off, S);
    u64 b = std::min(round_up(p.end, S), q.virtual_size);
    // b is clipped at the image end: the final partial cluster counts as whole.
    bool partial = a != p.off || b != p.end;
    bool eligible = true;
    if (partial) {
      // Allowed only if the rest of the subcluster reads as zero through the chain and its
      // type is UNALLOCATED_* or ZERO_* (qcow2_co_pwrite_zeroes); otherwise -ENOTSUP.
      eligible = unit_is_unallocated_or_zero(q.units.at(a).value.type) &&
                 status_says_zero(t, a, p.off - a) && status_says_zero(t, p.end, b - p.end);
    }
    bool supported = eligible;
    if (supported && !q.v3) {
      // v2 has no zero clusters: without a backing file it discards, with one -ENOTSUP.
      supported = !t.has_backing;
    }
    if (supported && q.v3) {
      // zero_l2_subclusters cannot handle a partial compressed cluster (-ENOTSUP).
      u64 C = q.cluster_size();
      for (u64 c = round_down(a, C); c < b && supported; c += C) {
        bool whole = c >= a && std::min(c + C, q.virtual_size) <= b;
        if (!whole && cluster_compressed(q, c)) supported = false;
      }
    }
    if (!supported) {
      // Fallback: a bounce buffer of zeroes is written as data (io.c).
      qcow2_write(t, p.off, p.end - p.off, 0);
      continue;
    }
    if (q.v3) {
      zeroize_v3(q, a, b, may_unmap);
    } else {
      q.units.assign(a, b - a, Qcow2Unit{});  // qcow2_cluster_discard -> entry 0
    }
  }
}

void qcow2_discard(Qcow2Target& t, u64 off, u64 len, u64 align) {
  Qcow2Image& q = t.q;
  u64 C = q.cluster_size();
  align = std::max(align, C);
  u64 end = std::min(off + len, q.virtual_size);
  // Only whole clusters are discarded; the image's final partial cluster counts as whole
  // (qcow2_co_pdiscard). No subcluster discard, even with extended L2 (discard_in_l2_slice, block/qcow2-cluster.c).
  u64 a = round_up(off, align);
  u64 b = end == q.virtual_size ? end : round_down(end, align);
  if (b <= a) return;
  if (!q.v3 && t.has_backing) return;  // -ENOTSUP, silently ignored
  for (u64 c = a; c < b; c += C) {
    u64 cend = std::min(c + C, q.virtual_size);
    bool allocated = cluster_compressed(q, c) || cluster_delta(q, c).has_value();
    // discard_in_l2_slice: with a backing or an allocated cluster the entry becomes ZERO
    // (v3) or 0 (v2); otherwise it is left alone.
    if (t.has_backing || allocated) {
      q.units.assign(c, cend - c,
                     q.v3 ? Qcow2Unit{ClusterType::ZeroPlain, 0, false} : Qcow2Unit{});
    }
  }
}

std::optional<OpError> qcow2_write_compressed(Qcow2Target& t, u64 off, u64 len,
                                              std::uint8_t pattern) {
  Qcow2Image& q = t.q;
  u64 C = q.cluster_size();
  u64 end = off + len;
  if (off % C != 0 || (end % C != 0 && end != q.virtual_size))
    return OpError{"write -c: compressed writes must cover whole clusters (cluster size " +
                   num(C) + ")"};
  // qcow2_alloc_compressed_cluster_offset: "Compression can't overwrite anything": a
  // cluster that has a host offset (or is compressed already) fails with -EIO.
  for (u64 c = off; c < end; c += C) {
    if (cluster_compressed(q, c) || cluster_delta(q, c))
      return OpError{"write -c: cluster at " + num(c) + " is already allocated: Input/output error"};
  }
  q.data.assign(off, len, pattern);
  q.units.assign(off, len, Qcow2Unit{ClusterType::Compressed, 0, false});
  return std::nullopt;
}

// ---------------------------------------------------------------- dispatch

std::optional<OpError> apply_at(ModelState& s, const Graph& g, int node, GuestOp op,
                                OpenOptions open, u64 align);

std::optional<OpError> apply_format(ModelState& s, const Graph& g, int node, const GuestOp& op,
                                    OpenOptions open, u64 align) {
  const Node& n = g.node(node);
  Image& img = s.image(n.image);
  if (img.format() == ImageFormat::Raw) {
    if (op.kind == OpKind::Discard && !open.unmap) return std::nullopt;
    return raw_apply(s, img, op);
  }
  Qcow2Target t{s, g, node, img.qcow2(), n.backing >= 0};
  switch (op.kind) {
    case OpKind::Write: qcow2_write(t, op.offset, op.length, op.pattern); break;
    case OpKind::WriteZeroes:
      // MAY_UNMAP is dropped unless the node was opened with BDRV_O_UNMAP.
      qcow2_write_zeroes(t, op.offset, op.length, op.may_unmap && open.unmap);
      break;
    case OpKind::Discard:
      if (open.unmap) qcow2_discard(t, op.offset, op.length, align);
      // bdrv_co_pdiscard returns before its tracked request without BDRV_O_UNMAP: no mark.
      if (!open.unmap) return std::nullopt;
      break;
    case OpKind::WriteCompressed:
      if (auto err = qcow2_write_compressed(t, op.offset, op.length, op.pattern)) {
        // The driver refused (unaligned, cluster allocated) after the tracked request
        // began: bdrv_aligned_pwritev still calls bdrv_co_write_req_finish, which marks
        // the range whatever ret is (a failed write may have changed data).
        mark_dirty(img.qcow2(), op.offset, op.length);
        return err;
      }
      break;
  }
  // bdrv_co_write_req_finish: writes, zero writes and discards mark the node's bitmaps.
  mark_dirty(img.qcow2(), op.offset, op.length);
  return std::nullopt;
}

// Requests unaligned to a filter's request_alignment are padded: the head and tail blocks
// are read-modify-written as data, discards shrink to the aligned part (io.c).
std::optional<OpError> apply_aligned(ModelState& s, const Graph& g, int child, const GuestOp& op,
                                     OpenOptions open, u64 align) {
  if (align <= 1 || op.kind == OpKind::WriteCompressed) return apply_at(s, g, child, op, open, align);
  u64 len = node_length(s, g, child);
  u64 end = op.offset + op.length;
  u64 a = round_up(op.offset, align), b = end == len ? end : round_down(end, align);
  if (op.kind == OpKind::Discard) {
    if (b <= a) return std::nullopt;
    GuestOp mid = op;
    mid.offset = a;
    mid.length = b - a;
    return apply_at(s, g, child, mid, open, align);
  }
  // Write, WriteZeroes: padded head and tail become data writes of the merged buffer
  // (bdrv_co_pwritev_part pads to request_alignment; the padded request is what reaches
  // the node below, marks its bitmaps and allocates its clusters).
  const std::uint8_t fill = op.kind == OpKind::Write ? op.pattern : 0;
  auto rmw = [&](u64 blk) -> std::optional<OpError> {
    u64 bend = std::min(blk + align, len);
    auto before = content(s, g, child, blk, bend - blk);
    for (const auto& e : before) {
      u64 lo = e.start, hi = e.end();
      // Bytes of this run outside the zeroed range keep their value.
      std::uint8_t v = e.value;
      u64 zlo = std::max(lo, op.offset), zhi = std::min(hi, end);
      if (zlo < zhi) {
        if (auto err = apply_at(s, g, child, {OpKind::Write, zlo, zhi - zlo, fill, false}, open, align)) return err;
      }
      if (lo < zlo) {
        if (auto err = apply_at(s, g, child, {OpKind::Write, lo, std::min(hi, zlo) - lo, v, false}, open, align)) return err;
      }
      if (zhi < hi && zhi >= lo) {
        if (auto err = apply_at(s, g, child, {OpKind::Write, zhi, hi - zhi, v, false}, open, align)) return err;
      }
    }
    return std::nullopt;
  };
  if (b <= a) {
    // Everything lies within one or two padded blocks.
    for (u64 blk = round_down(op.offset, align); blk < end; blk += align)
      if (auto err = rmw(blk)) return err;
    return std::nullopt;
  }
  if (a > op.offset)
    if (auto err = rmw(round_down(op.offset, align))) return err;
  GuestOp mid = op;
  mid.offset = a;
  mid.length = b - a;
  if (auto err = apply_at(s, g, child, mid, open, align)) return err;
  if (end > b)
    if (auto err = rmw(b)) return err;
  return std::nullopt;
}

std::optional<OpError> apply_at(ModelState& s, const Graph& g, int node, GuestOp op,
                                OpenOptions open, u64 align) {
  const Node& n = g.node(node);
  u64 len = node_length(s, g, node);
  if (op.offset > len || op.length > len - op.offset)
    return OpError{std::string(to_string(op.kind)) + " at " + num(op.offset) + "+" +
                   num(op.length) + " is beyond the end of the image (" + num(len) + ")"};
  if (op.length == 0) return std::nullopt;
  switch (n.kind) {
    case NodeKind::Image: return apply_format(s, g, node, op, open, align);
    case NodeKind::RawWindow:
      op.offset += n.window_offset;
      return apply_at(s, g, n.child, op, open, align);
    case NodeKind::Blkdebug: return apply_aligned(s, g, n.child, op, open, std::max(align, n.align));
    case NodeKind::Compress:
      if (op.kind == OpKind::Write) {
        // filter-compress turns writes into compressed writes of whole clusters (RMW).
        const Node& child = g.node(n.child);
        if (child.kind != NodeKind::Image || s.image(child.image).format() != ImageFormat::Qcow2)
          return OpError{"the compress filter needs a qcow2 node as its child"};
        if (auto err = apply_at(s, g, n.child, op, open, align)) return err;
        Qcow2Image& q = s.image(child.image).qcow2();
        u64 c = q.cluster_size();
        u64 a = round_down(op.offset, c), b = std::min(round_up(op.offset + op.length, c), len);
        q.units.assign(a, b - a, Qcow2Unit{ClusterType::Compressed, 0, false});
        return std::nullopt;
      }
      return apply_at(s, g, n.child, op, open, align);
    case NodeKind::CopyOnRead:
    case NodeKind::Throttle:
    case NodeKind::Preallocate: return apply_at(s, g, n.child, op, open, align);
  }
  return std::nullopt;
}

}  // namespace

std::optional<OpError> apply(ModelState& s, const Graph& g, const GuestOp& op, OpenOptions open) {
  return apply_at(s, g, g.root, op, open, 1);
}

}  // namespace chaincheck::model
