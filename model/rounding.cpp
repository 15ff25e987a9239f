#include "model/rounding.hpp"

#include <algorithm>

namespace chaincheck::model {

BlockStatus combine_sticky(const std::vector<StatusExtent>& pieces) {
  BlockStatus out;
  if (pieces.empty()) return out;
  bool all_zero = true, all_offset = true;
  std::uint32_t any = 0;
  unsigned depth = 0, layer = pieces.front().status.layer;
  u64 total = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const BlockStatus& st = pieces[i].status;
    any |= st.flags & (kData | kAllocated);
    all_zero = all_zero && (st.flags & kZero);
    bool contiguous = i == 0 || (st.image == pieces[0].status.image &&
                                 st.host_offset == pieces[0].status.host_offset + total);
    all_offset = all_offset && (st.flags & kOffsetValid) && contiguous;
    if (st.depth != 0 && (depth == 0 || st.depth < depth)) depth = st.depth;
    layer = std::min(layer, st.layer);
    total += st.pnum;
  }
  out.flags = any | (all_zero ? kZero : 0) | (all_offset ? kOffsetValid : 0) |
              (pieces.back().status.flags & kEof);
  out.pnum = total;
  if (all_offset) {
    out.host_offset = pieces[0].status.host_offset;
    out.image = pieces[0].status.image;
  }
  out.depth = depth;
  out.layer = layer;
  return out;
}

namespace {

void push_merged(std::vector<StatusExtent>& out, u64 start, BlockStatus st) {
  if (!out.empty() && out.back().end() == start && merge_status(out.back().status, st)) return;
  out.push_back({start, st});
}

}  // namespace

std::vector<StatusExtent> round_sticky(const std::vector<StatusExtent>& precise, u64 align,
                                       u64 node_end) {
  std::vector<StatusExtent> out;
  if (align <= 1) {
    for (const auto& e : precise) push_merged(out, e.start, e.status);
    return out;
  }
  std::vector<StatusExtent> block;  // pieces of the block being combined
  u64 block_start = 0;
  auto flush = [&]() {
    if (block.empty()) return;
    BlockStatus st = combine_sticky(block);
    // The block covers [block_start, block_start + align) clipped to the node's end; the
    // tail past EOF is treated like the last piece.
    u64 block_end = std::min(block_start + align, std::max(node_end, block.back().end()));
    st.pnum = block_end - block_start;
    push_merged(out, block_start, st);
    block.clear();
  };
  for (const StatusExtent& e : precise) {
    u64 pos = e.start, end = e.end();
    while (pos < end) {
      u64 blk = round_down(pos, align);
      if (pos == blk && end >= blk + align && block.empty()) {
        // Whole blocks inside one extent keep its status.
        u64 n = round_down(end, align) - pos;
        BlockStatus st = e.status;
        st.pnum = n;
        if (end != pos + n) st.flags &= ~kEof;
        if (st.flags & kOffsetValid) st.host_offset += pos - e.start;
        push_merged(out, pos, st);
        pos += n;
        continue;
      }
      if (block.empty()) block_start = blk;
      u64 piece_end = std::min(end, blk + align);
      StatusExtent piece{pos, e.status};
      piece.status.pnum = piece_end - pos;
      if (piece.status.flags & kOffsetValid) piece.status.host_offset += pos - e.start;
      block.push_back(piece);
      pos = piece_end;
      if (pos == blk + align) flush();
    }
  }
  flush();
  return out;
}

}  // namespace chaincheck::model
