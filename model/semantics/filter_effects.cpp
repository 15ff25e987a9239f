#include "model/semantics/filter_effects.hpp"

#include "model/semantics/bitmap_effects.hpp"

#include <algorithm>

#include "model/semantics/chain.hpp"
#include "model/semantics/operations.hpp"

namespace chaincheck::model {

bool has_copy_on_read(const Graph& g) {
  for (const Node& n : g.nodes)
    if (n.kind == NodeKind::CopyOnRead) return true;
  return false;
}

namespace {

constexpr u64 kMaxBounceBuffer = u64{32768} << 9;  // io.c MAX_BOUNCE_BUFFER

bool allocated_type(ClusterType t) {
  return t == ClusterType::Normal || t == ClusterType::Compressed || t == ClusterType::ZeroPlain ||
         t == ClusterType::ZeroAlloc;
}

// The piece qcow2_get_host_offset reports at `pos`: one run of equal L2 entries, never past
// the end of the L2 slice.
u64 qcow2_piece(const Qcow2Image& q, u64 pos, u64 end) {
  return std::min({q.units.at(pos).end(), q.l2_slice_end(pos), end}) - pos;
}

void read_node(ModelState& s, const Graph& g, int node, u64 off, u64 len, bool cor);

// qcow2_co_preadv_part: unallocated pieces are read from the backing node.
void read_qcow2(ModelState& s, const Graph& g, int node, u64 off, u64 end) {
  const Node& n = g.node(node);
  for (u64 pos = off; pos < end;) {
    const Qcow2Image& q = s.image(n.image).qcow2();
    u64 piece = qcow2_piece(q, pos, end);
    if (!allocated_type(q.units.at(pos).value.type) && n.backing >= 0) read_node(s, g, n.backing, pos, piece, false);
    pos += piece;
  }
}

// bdrv_co_do_copy_on_readv on image node `node`.
void copy_on_read(ModelState& s, const Graph& g, int node, u64 off, u64 len) {
  const Node& n = g.node(node);
  if (s.image(n.image).format() != ImageFormat::Qcow2) return;  // raw allocates everything
  u64 cluster = s.image(n.image).qcow2().cluster_size();
  u64 nlen = node_length(s, g, node);
  u64 pos = round_down(off, cluster);
  u64 end = std::min(round_up(off + len, cluster), nlen);  // stops at EOF mid-cluster
  Graph at_node = g;
  at_node.root = node;
  // The copy bypasses bdrv_co_write_req_finish: the layer's bitmaps stay (bitmap_effects.hpp).
  UnmarkedWrites unmarked(s, n.image);
  while (pos < end) {
    const Qcow2Image& q = s.image(n.image).qcow2();
    u64 piece = qcow2_piece(q, pos, end);
    if (allocated_type(q.units.at(pos).value.type)) {
      pos += piece;
      continue;
    }
    piece = std::min(piece, kMaxBounceBuffer);
    // Read it (through the backing), then write it back unchanged into this layer.
    if (n.backing >= 0) read_node(s, g, n.backing, pos, piece, false);
    auto runs = content(s, g, node, pos, piece);
    bool zero = std::all_of(runs.begin(), runs.end(), [](const auto& r) { return r.value == 0; });
    // The copy goes to the driver (bdrv_driver_pwritev / bdrv_co_do_pwrite_zeroes with
    // BDRV_REQ_WRITE_UNCHANGED), never through bdrv_co_write_req_finish: the guest-visible
    // bytes are unchanged, so no dirty bitmap is marked.
    // (`unmarked` above restores the layer's bitmaps when the copy is done.)
    if (zero) {
      apply(s, at_node, GuestOp{OpKind::WriteZeroes, pos, piece, 0, false}, OpenOptions{false});
    } else {
      for (const auto& r : runs) apply(s, at_node, GuestOp{OpKind::Write, r.start, r.length, r.value, false});
    }
    pos += piece;
  }
}

void read_node(ModelState& s, const Graph& g, int node, u64 off, u64 len, bool cor) {
  u64 nlen = node_length(s, g, node);
  if (off >= nlen || len == 0) return;
  len = std::min(len, nlen - off);
  const Node& n = g.node(node);
  switch (n.kind) {
    case NodeKind::Image:
      if (cor) {
        // bdrv_aligned_preadv: copy only when the node does not allocate all of it.
        u64 pnum = 0;
        if (!top_allocated(s, g, node, off, len, &pnum) || pnum < len) copy_on_read(s, g, node, off, len);
      }
      if (s.image(n.image).format() == ImageFormat::Qcow2) read_qcow2(s, g, node, off, off + len);
      return;
    case NodeKind::RawWindow: return read_node(s, g, n.child, off + n.window_offset, len, cor);
    case NodeKind::Blkdebug: {
      // bdrv_co_preadv_part pads the request to the node's request alignment.
      u64 a = std::max<u64>(1, n.align);
      u64 start = round_down(off, a);
      return read_node(s, g, n.child, start, round_up(off + len, a) - start, cor);
    }
    case NodeKind::CopyOnRead: return read_node(s, g, n.child, off, len, true);
    default: return read_node(s, g, n.child, off, len, cor);
  }
}

}  // namespace

void read_through(ModelState& s, const Graph& g, u64 offset, u64 length) {
  read_node(s, g, g.root, offset, length, false);
}

void read_copy_on_read(ModelState& s, const Graph& g, u64 offset, u64 length) {
  read_node(s, g, g.root, offset, length, true);
}

void read_export(ModelState& s, const Graph& g, u64 chunk) {
  u64 len = node_length(s, g, g.root);
  for (u64 start = 0; start < len; start += chunk) {
    u64 end = std::min(len, start + chunk);
    for (u64 pos = start; pos < end;) {
      BlockStatus st = block_status(s, g, g.root, pos, end - pos);
      if (st.pnum == 0) break;
      if (!(st.flags & kZero)) read_through(s, g, pos, st.pnum);
      pos += st.pnum;
    }
  }
}

}  // namespace chaincheck::model
