#include "model/scenario/nbdkit_stack.hpp"

#include <algorithm>

namespace chaincheck::model {

u64 campaign_minblock(const ModelState& s, const Graph& g) {
  return std::max<u64>(4096, node_alignment(s, g, g.root));
}

NbdObservation predict_nbdkit(const ModelState& s, const Graph& g, const NbdkitStack& k) {
  NbdObservation nbd;
  u64 len = node_length(s, g, g.root);
  // The file plugin serves the file's byte size (plugins/file/file.c file_get_size: fstat),
  // not QEMU's length rounded up to whole sectors (raw_getlength).
  const Node& root = g.node(g.root);
  if (!k.nbd_plugin && root.kind == NodeKind::Image && s.image(root.image).format() == ImageFormat::Raw)
    len = s.image(root.image).raw().file_size;
  // The nbd plugin's libnbd asks qemu-nbd for block sizes and passes the minimum on
  // (nbdkit plugins/nbd/nbd.c nbdplug_block_size); the file plugin advertises none.
  u64 inner = k.nbd_plugin ? node_alignment(s, g, g.root) : 1;
  u64 align = inner;
  nbd.block_size.minimum = inner;
  nbd.export_size = len;
  if (k.minblock) {
    // filters/blocksize/blocksize.c: the size is rounded down to minblock (blocksize_get_size),
    // any request is accepted (read-modify-write), so the advertised minimum is 1.
    align = std::max(align, k.minblock);
    nbd.export_size = round_down(len, k.minblock);
    nbd.block_size.minimum = 1;
  }
  if (k.policy_minimum) {
    // filters/blocksize-policy/policy.c policy_block_size: the minimum is advertised; the
    // NBD spec (proto.md, NBD_CMD_BLOCK_STATUS) asks for extents that are multiples of it.
    align = std::max(align, k.policy_minimum);
    nbd.block_size.minimum = k.policy_minimum;
  }
  nbd.block_size.preferred = std::max<u64>(4096, nbd.block_size.minimum);
  nbd.contexts = {to_string(NbdContext::BaseAllocation)};
  if (nbd.export_size == 0) return nbd;
  std::vector<NbdExtent> extents;
  for (NbdExtent e : nbd_extents(s, g, NbdContext::BaseAllocation, 0, len, align)) {
    if (e.start >= nbd.export_size) break;
    e.length = std::min(e.end(), nbd.export_size) - e.start;
    extents.push_back(e);
  }
  nbd.replies.push_back({to_string(NbdContext::BaseAllocation), 0, nbd.export_size, merge_equal(std::move(extents))});
  return nbd;
}

}  // namespace chaincheck::model
