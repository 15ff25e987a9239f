#include "model/semantics/rounding.hpp"

#include <algorithm>

namespace chaincheck::model {

namespace {

// The sticky combination folded piece by piece, so rounding needs no list of pieces (one
// allocation per block was most of round_sticky's cost under ASan in the fuzzers).
class StickyBlock {
 public:
  void add(const BlockStatus& st) {
    if (count_ == 0) {
      first_image_ = st.image;
      first_host_ = st.host_offset;
      layer_ = st.layer;
    }
    any_ |= st.flags & (kData | kAllocated);
    all_zero_ = all_zero_ && (st.flags & kZero);
    bool contiguous = count_ == 0 || (st.image == first_image_ && st.host_offset == first_host_ + total_);
    all_offset_ = all_offset_ && (st.flags & kOffsetValid) && contiguous;
    if (st.depth != 0 && (depth_ == 0 || st.depth < depth_)) depth_ = st.depth;
    layer_ = std::min(layer_, st.layer);
    total_ += st.pnum;
    last_flags_ = st.flags;
    ++count_;
  }
  BlockStatus result() const {
    BlockStatus out;
    if (count_ == 0) return out;
    out.flags = any_ | (all_zero_ ? kZero : 0) | (all_offset_ ? kOffsetValid : 0) | (last_flags_ & kEof);
    out.pnum = total_;
    if (all_offset_) {
      out.host_offset = first_host_;
      out.image = first_image_;
    }
    out.depth = depth_;
    out.layer = layer_;
    return out;
  }
  std::size_t count() const { return count_; }
  void clear() { *this = StickyBlock{}; }

 private:
  bool all_zero_ = true, all_offset_ = true;
  std::uint32_t any_ = 0, last_flags_ = 0;
  unsigned depth_ = 0, layer_ = 0;
  int first_image_ = -1;
  u64 first_host_ = 0, total_ = 0;
  std::size_t count_ = 0;
};

}  // namespace

BlockStatus combine_sticky(const std::vector<StatusExtent>& pieces) {
  StickyBlock b;
  for (const StatusExtent& p : pieces) b.add(p.status);
  return b.result();
}

namespace {

void push_merged(std::vector<StatusExtent>& out, u64 start, BlockStatus st) {
  if (!out.empty() && out.back().end() == start && merge_status(out.back().status, st)) return;
  out.push_back({start, st});
}

}  // namespace

void round_sticky(const std::vector<StatusExtent>& precise, u64 align, u64 node_end,
                  std::vector<StatusExtent>& out) {
  out.clear();
  if (align <= 1) {
    for (const auto& e : precise) push_merged(out, e.start, e.status);
    return;
  }
  StickyBlock block;  // the pieces of the block being combined, folded
  u64 block_start = 0, block_last_end = 0;
  auto flush = [&]() {
    if (block.count() == 0) return;
    BlockStatus st = block.result();
    // The block covers [block_start, block_start + align) clipped to the node's end; the
    // tail past EOF is treated like the last piece.
    u64 block_end = std::min(block_start + align, std::max(node_end, block_last_end));
    st.pnum = block_end - block_start;
    push_merged(out, block_start, st);
    block.clear();
  };
  for (const StatusExtent& e : precise) {
    u64 pos = e.start, end = e.end();
    while (pos < end) {
      u64 blk = round_down(pos, align);
      if (pos == blk && end >= blk + align && block.count() == 0) {
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
      if (block.count() == 0) block_start = blk;
      u64 piece_end = std::min(end, blk + align);
      BlockStatus piece = e.status;
      piece.pnum = piece_end - pos;
      if (piece.flags & kOffsetValid) piece.host_offset += pos - e.start;
      block.add(piece);
      block_last_end = piece_end;
      pos = piece_end;
      if (pos == blk + align) flush();
    }
  }
  flush();
}

std::vector<StatusExtent> round_sticky(const std::vector<StatusExtent>& precise, u64 align,
                                       u64 node_end) {
  std::vector<StatusExtent> out;
  round_sticky(precise, align, node_end, out);
  return out;
}

}  // namespace chaincheck::model
