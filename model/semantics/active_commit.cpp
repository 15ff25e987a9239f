// QMP block-commit whose top is the active layer (block_jobs.hpp, BlockCommitOptions with
// top == overlay): a mirror job into the base, then block-job-complete.
#include "model/semantics/block_jobs.hpp"

#include "model/semantics/chain.hpp"
#include "model/semantics/mirror_job.hpp"

namespace chaincheck::model {

std::optional<OpError> active_commit_image(ModelState& s, const BlockCommitOptions& o) {
  int oi = s.find(o.overlay);
  if (oi < 0) return OpError{"Cannot find device='" + o.overlay + "' nor node-name='" + o.overlay + "'"};
  Graph g = open_image(s, o.overlay);
  std::vector<int> layers = cow_layers(g, g.root);
  // qmp_block_commit: base-node must be in the top's chain (bdrv_chain_contains), default the
  // bottom (bdrv_find_base); the top itself is "an image into itself".
  int b = o.base ? layer_index(s, g, layers, *o.base, 0) : static_cast<int>(layers.size()) - 1;
  if (b < 0) return OpError{"'" + *o.base + "' is not in this backing file chain"};
  if (b == 0) return OpError{"cannot commit an image into itself"};
  // qmp_block_commit: top = the device's active layer -> commit_active_start, a mirror into
  // the base (MIRROR_LEAVE_BACKING_CHAIN, unmap = true). The base node keeps the open flags
  // it was added with: blockdev-add's default discard=ignore drops BDRV_O_UNMAP.
  if (auto err = mirror_into_backing(s, o.overlay, static_cast<std::size_t>(b), OpenOptions{.unmap = false})) return err;
  // block-job-complete -> mirror_complete, then mirror_exit_common: bdrv_replace_node(top,
  // base) moves the top's parents (an export, a device) onto the base. No header is
  // rewritten and nothing is emptied (unlike qemu-img commit's bdrv_make_empty): the top
  // and the intermediates stay on disk as they were, still naming their backing files.
  return std::nullopt;
}

}  // namespace chaincheck::model
