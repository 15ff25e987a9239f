#include "model/semantics/chain.hpp"

#include <algorithm>

namespace chaincheck::model {
namespace {

LayerAnswer raw_layer_status(const Image& img, int image, u64 off, u64 bytes) {
  const RawImage& r = img.raw();
  LayerAnswer a;
  BlockStatus& st = a.status;
  st.image = image;
  st.host_offset = off;
  if (off < r.file_size) {
    auto run = r.host_data.at(off);
    st.pnum = std::min(run.end() - off, bytes);
    // file-posix raw_co_block_status: SEEK_DATA/SEEK_HOLE; always OFFSET_VALID.
    st.flags = (run.value ? kData : kZero) | kOffsetValid;
  } else {
    // Past the real EOF inside the sector-rounded length: -ENXIO -> ZERO (iotest 221).
    st.pnum = bytes;
    st.flags = kZero | kOffsetValid;
  }
  st.flags |= kAllocated;  // raw has no backing: the generic layer marks DATA|ZERO allocated
  return a;
}

LayerAnswer qcow2_layer_status(const ModelState& s, const Graph& g, const Node& n, int image,
                               u64 off, u64 bytes, bool one_call) {
  const Qcow2Image& q = s.image(image).qcow2();
  LayerAnswer a;
  BlockStatus& st = a.status;
  auto run = q.units.at(off);
  st.pnum = std::min(run.end() - off, bytes);
  if (one_call) st.pnum = std::min(st.pnum, q.l2_slice_end(off) - off);
  const Qcow2Unit& u = run.value;
  switch (u.type) {
    case ClusterType::Normal:
      st.flags = kData | kOffsetValid;
      // RECURSE on a metadata-preallocated image finds the host hole (qcow2_co_block_status, block/qcow2.c).
      if (u.host_hole && q.metadata_preallocated) st.flags |= kZero;
      break;
    case ClusterType::ZeroAlloc: st.flags = kZero | kOffsetValid; break;
    case ClusterType::ZeroPlain: st.flags = kZero; break;
    case ClusterType::Compressed: st.flags = kData; break;
    case ClusterType::UnallocatedAlloc: st.flags = kOffsetValid; break;
    case ClusterType::Unallocated: st.flags = 0; break;
  }
  if (st.flags & kOffsetValid) {
    st.host_offset = static_cast<u64>(static_cast<std::int64_t>(off) + u.host_delta);
    st.image = image;
  }
  if (st.flags & (kData | kZero)) {
    st.flags |= kAllocated;
  } else if (n.backing < 0) {
    st.flags |= kZero;  // nothing to defer to: reads as zero, but not allocated (io.c)
  } else {
    u64 blen = node_length(s, g, n.backing);
    if (off >= blen) {
      st.flags |= kZero;  // past a short backing file: inferred zero (io.c, want_zero)
    } else {
      st.pnum = std::min(st.pnum, blen - off);  // precise: the answer changes at its EOF
    }
  }
  return a;
}

LayerAnswer answer(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes, bool one_call) {
  u64 len = node_length(s, g, node);
  if (offset >= len || bytes == 0) {
    LayerAnswer a;
    a.status.flags = offset >= len ? kEof : 0;
    return a;
  }
  bytes = std::min(bytes, len - offset);
  const Node& n = g.node(node);
  LayerAnswer a;
  if (n.kind == NodeKind::Image) {
    const Image& img = s.image(n.image);
    a = img.format() == ImageFormat::Raw ? raw_layer_status(img, n.image, offset, bytes)
                                         : qcow2_layer_status(s, g, n, n.image, offset, bytes, one_call);
    a.format_node = node;
    a.format_offset = offset;
  } else {
    // Filters answer RAW: their child's status at the mapped offset (bdrv_co_block_status in block/io.c: a filter has no .bdrv_co_block_status).
    u64 shift = n.kind == NodeKind::RawWindow ? n.window_offset : 0;
    a = answer(s, g, n.child, offset + shift, bytes, one_call);
  }
  a.status.flags &= ~static_cast<std::uint32_t>(kEof);
  if (offset + a.status.pnum == len) a.status.flags |= kEof;
  return a;
}

BlockStatus walk(const ModelState& s, const Graph& g, int node, u64 off, u64 bytes,
                 unsigned above, bool one_call) {
  LayerAnswer a = answer(s, g, node, off, bytes, one_call);
  BlockStatus st = a.status;
  unsigned index = above + 1;
  st.layer = index - 1;
  if (st.flags & kAllocated) {
    st.depth = index;
    return st;
  }
  st.depth = 0;
  const Node& f = g.node(a.format_node);
  if (f.backing < 0) return st;
  u64 blen = node_length(s, g, f.backing);
  if (a.format_offset >= blen) {
    // Zeroes past a short backing file count as allocated in that backing layer
    // (bdrv_co_common_block_status_above, QEMU 5.2 "block/io: fix ..._above").
    BlockStatus z;
    z.flags = kZero | kAllocated;
    z.pnum = st.pnum;
    z.depth = index + 1;
    z.layer = index;
    return z;
  }
  return walk(s, g, f.backing, a.format_offset, st.pnum, index, one_call);
}

BlockStatus chain_status(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes, bool one_call) {
  u64 len = node_length(s, g, node);
  if (offset >= len || bytes == 0) {
    BlockStatus st;
    st.flags = offset >= len ? kEof : 0;
    return st;
  }
  bytes = std::min(bytes, len - offset);
  BlockStatus st = walk(s, g, node, offset, bytes, 0, one_call);
  st.flags &= ~static_cast<std::uint32_t>(kEof);
  if (offset + st.pnum == len) st.flags |= kEof;
  return st;
}

}  // namespace

LayerAnswer layer_status(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes) {
  return answer(s, g, node, offset, bytes, false);
}

LayerAnswer layer_status_call(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes) {
  return answer(s, g, node, offset, bytes, true);
}

BlockStatus block_status(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes) {
  return chain_status(s, g, node, offset, bytes, false);
}

BlockStatus block_status_call(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes) {
  return chain_status(s, g, node, offset, bytes, true);
}

bool top_allocated(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes,
                   u64* pnum) {
  LayerAnswer a = layer_status(s, g, node, offset, bytes);
  *pnum = a.status.pnum;
  return (a.status.flags & kAllocated) != 0;
}

bool merge_status(BlockStatus& prev, const BlockStatus& next) {
  bool host_contiguous = !(next.flags & kOffsetValid) ||
                         (prev.image == next.image && prev.host_offset + prev.pnum == next.host_offset);
  if ((prev.flags & ~kEof) != (next.flags & ~kEof) || prev.depth != next.depth || prev.layer != next.layer ||
      !host_contiguous)
    return false;
  prev.pnum += next.pnum;
  prev.flags = (prev.flags & ~kEof) | (next.flags & kEof);
  return true;
}

void for_each_status(const ModelState& s, const Graph& g, int node, u64 offset, u64 length,
                     const std::function<void(const StatusExtent&)>& f) {
  u64 len = node_length(s, g, node);
  u64 end = offset > len ? offset : std::min(len, offset + std::min(length, len - offset));
  StatusExtent pending;
  bool have = false;
  for (u64 pos = offset; pos < end;) {
    BlockStatus st = block_status(s, g, node, pos, end - pos);
    if (st.pnum == 0) break;
    if (have) {
      if (merge_status(pending.status, st)) {
        pos += st.pnum;
        continue;
      }
      f(pending);
    }
    pending = {pos, st};
    have = true;
    pos += st.pnum;
  }
  if (have) f(pending);
}

std::vector<StatusExtent> status_extents(const ModelState& s, const Graph& g, int node,
                                         u64 offset, u64 length) {
  std::vector<StatusExtent> out;
  out.reserve(16);  // one allocation for the usual few extents, not one per doubling
  for_each_status(s, g, node, offset, length, [&](const StatusExtent& e) { out.push_back(e); });
  return out;
}

namespace {

// Where read_into puts the runs it reads: a list (content) or only whether any byte is
// non-zero (reads_as_zero, which then needs no list).
struct RunList {
  std::vector<Extent<std::uint8_t>>& out;
  void append(u64 start, u64 len, std::uint8_t v) {
    if (len == 0) return;
    if (!out.empty() && out.back().value == v && out.back().end() == start) {
      out.back().length += len;
    } else {
      out.push_back({start, len, v});
    }
  }
};
struct NonZeroSeen {
  bool seen = false;
  void append(u64, u64 len, std::uint8_t v) { seen = seen || (len > 0 && v != 0); }
};

template <class Out>
void append_run(Out& out, u64 start, u64 len, std::uint8_t v) {
  out.append(start, len, v);
}

// Appends runs for [off, off+len) of `node`, positioned at `base` + (x - off).
template <class Out>
void read_into(const ModelState& s, const Graph& g, int node, u64 off, u64 len, u64 base, Out& out) {
  u64 nlen = node_length(s, g, node);
  u64 avail = off < nlen ? std::min(len, nlen - off) : 0;
  const Node& n = g.node(node);
  if (avail > 0) {
    if (n.kind != NodeKind::Image) {
      u64 shift = n.kind == NodeKind::RawWindow ? n.window_offset : 0;
      read_into(s, g, n.child, off + shift, avail, base, out);
    } else if (s.image(n.image).format() == ImageFormat::Raw) {
      const RawImage& r = s.image(n.image).raw();
      u64 in_file = off < r.file_size ? std::min(avail, r.file_size - off) : 0;
      r.content.for_each(off, in_file, [&](const Extent<std::uint8_t>& e) {
        append_run(out, base + (e.start - off), e.length, e.value);
      });
      append_run(out, base + in_file, avail - in_file, 0);  // sector-rounding tail
    } else {
      const Qcow2Image& q = s.image(n.image).qcow2();
      q.units.for_each(off, avail, [&](const Extent<Qcow2Unit>& e) {
        u64 at = base + (e.start - off);
        switch (e.value.type) {
          case ClusterType::Normal:
          case ClusterType::Compressed:
            q.data.for_each(e.start, e.length, [&](const Extent<std::uint8_t>& d) {
              append_run(out, base + (d.start - off), d.length, d.value);
            });
            break;
          case ClusterType::ZeroPlain:
          case ClusterType::ZeroAlloc: append_run(out, at, e.length, 0); break;
          case ClusterType::Unallocated:
          case ClusterType::UnallocatedAlloc:
            if (n.backing >= 0) {
              read_into(s, g, n.backing, e.start, e.length, at, out);
            } else {
              append_run(out, at, e.length, 0);
            }
            break;
        }
      });
    }
  }
  append_run(out, base + avail, len - avail, 0);  // past a node's end reads as zero
}

}  // namespace

std::vector<Extent<std::uint8_t>> content(const ModelState& s, const Graph& g, int node,
                                          u64 offset, u64 length) {
  std::vector<Extent<std::uint8_t>> out;
  u64 len = node_length(s, g, node);
  if (offset >= len || length == 0) return out;
  out.reserve(8);  // most reads are a few runs: one allocation, not one per doubling
  length = std::min(length, len - offset);
  RunList list{out};
  read_into(s, g, node, offset, length, offset, list);
  return out;
}

bool reads_as_zero(const ModelState& s, const Graph& g, int node, u64 offset, u64 length) {
  // The runs content() would list, inspected as they are read.
  u64 len = node_length(s, g, node);
  if (offset >= len) return true;
  NonZeroSeen nz;
  read_into(s, g, node, offset, std::min(length, len - offset), offset, nz);
  return !nz.seen;
}

}  // namespace chaincheck::model
