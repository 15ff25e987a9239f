#include "model/semantics/mirror_job.hpp"

#include <algorithm>
#include <vector>

#include "model/semantics/chain.hpp"

namespace chaincheck::model {

std::optional<OpError> mirror_into_backing(ModelState& s, const std::string& top, std::size_t base_index,
                                           OpenOptions target) {
  Graph g = open_image(s, top);
  std::vector<int> layers = cow_layers(g, g.root);
  if (base_index == 0 || base_index >= layers.size()) return OpError{"the mirror target is not below '" + top + "'"};
  const int base_node = layers[base_index];
  const Image& base_img = s.image(g.node(base_node).image);
  const std::string base_name = base_img.name;
  const u64 len = node_length(s, g, g.root);
  // mirror_run: a shorter target is grown to the source's length (blk_truncate, PREALLOC_MODE_OFF).
  if (node_length(s, g, base_node) < len) {
    if (base_img.format() != ImageFormat::Raw) return OpError{"a mirror into a shorter qcow2 base is not modelled"};
    if (auto err = truncate_file(s, base_name, len)) return err;
    g = open_image(s, top);
  }
  // mirror_start_job with granularity 0: bdrv_get_default_bitmap_granularity(target) =
  // clamp(cluster size, 4k, 64k); 64k when the target has no cluster size (raw).
  u64 target_cluster = 1;
  u64 G = 65536;
  if (base_img.format() == ImageFormat::Qcow2) {
    target_cluster = base_img.qcow2().cluster_size();
    G = std::clamp<u64>(target_cluster, 4096, 65536);
  }
  // mirror_dirty_init: chunks allocated above the target (bdrv_is_allocated_above(source,
  // base_overlay, include_base=true)) are dirty, rounded out to the granularity.
  ExtentMap<bool> dirty(len, false);
  for (u64 pos = 0; pos < len;) {
    BlockStatus st = block_status(s, g, g.root, pos, len - pos);
    if (st.pnum == 0) break;
    if (st.depth >= 1 && st.depth <= base_index) {
      u64 a = round_down(pos, G), b = std::min(round_up(pos + st.pnum, G), len);
      dirty.assign(a, b - a, true);
    }
    pos += st.pnum;
  }
  Graph gb = open_image(s, base_name);
  u64 pos = 0;
  for (const auto& run : dirty.extents()) {
    if (!run.value) continue;
    pos = std::max(pos, run.start);
    while (pos < run.end()) {
      // mirror_iteration: one answer of the source chain's status (bdrv_block_status_above(
      // source, NULL)) picks the method; a qcow2 layer's answer ends at its L2 slice.
      BlockStatus st = block_status_call(s, g, g.root, pos, run.end() - pos);
      u64 io = st.pnum - st.pnum % G;
      enum { Copy, Zero, Discard } method = Copy;
      if (io < G) {
        io = G;  // shorter than a chunk: the whole chunk is copied
      } else if (!(st.flags & kData) && pos % target_cluster == 0 && io % target_cluster == 0) {
        method = (st.flags & kZero) ? Zero : Discard;  // only whole target clusters
      }
      io = std::min(io, len - pos);  // mirror_clip_bytes
      if (method == Copy) {
        // No mirror_cow_align: mirror_run allocates cow_bitmap only for a target with a
        // backing file name but no backing node, never for a target inside the source's chain.
        u64 a = pos, b = pos + io;
        // mirror_co_read -> mirror_write_complete: plain data (blk_co_pwritev).
        for (const auto& r : content(s, g, g.root, a, b - a))
          if (auto err = apply(s, gb, {OpKind::Write, r.start, r.length, r.value, false})) return err;
        io = b - pos;
      } else {
        // mirror_co_zero_or_discard: commit_active_start passes unmap = true, so zeroes go
        // with BDRV_REQ_MAY_UNMAP; the target's own open flags decide what is left of it.
        GuestOp op{method == Zero ? OpKind::WriteZeroes : OpKind::Discard, pos, io, 0, true};
        if (auto err = apply(s, gb, op, target)) return err;
      }
      pos += io;
    }
  }
  return std::nullopt;
}

}  // namespace chaincheck::model
