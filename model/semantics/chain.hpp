// The core of the model: block status of one node and of a whole chain, and what every
// guest byte reads as. Every projection (qemu-img map, qemu-io, NBD contexts) derives
// from block_status(); content() is the ground truth flags are judged against.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/semantics/block_status.hpp"
#include "model/semantics/graph.hpp"

namespace chaincheck::model {

// The answer of one node (bdrv_co_block_status): filters pass through to their child
// (QEMU's BDRV_BLOCK_RAW); a format node answers for itself, with ZERO inferred where it
// defers to nothing. Also says which format node answered and at which of its offsets.
struct LayerAnswer {
  BlockStatus status;
  int format_node = -1;
  u64 format_offset = 0;
};
LayerAnswer layer_status(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes);

// The chain walk (bdrv_co_common_block_status_above with base = NULL): the first COW layer
// that allocates the range answers, with its depth. pnum == 0 and kEof at or past the end.
BlockStatus block_status(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes);

// One call as QEMU answers it: the same answer, but each qcow2 layer consulted also stops
// at its L2 slice end (qcow2_get_host_offset). Merged projections (map, NBD replies) never
// see the cut; consumers that act on each answer (qemu-img convert, mirror) do.
LayerAnswer layer_status_call(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes);
BlockStatus block_status_call(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes);

// Top-layer allocation only (bdrv_is_allocated): what qemu-io map/alloc report.
bool top_allocated(const ModelState& s, const Graph& g, int node, u64 offset, u64 bytes,
                   u64* pnum);

struct StatusExtent {
  u64 start = 0;
  BlockStatus status;  // status.pnum is the extent's length
  u64 end() const { return start + status.pnum; }
};
// Append `next` to `prev` when they describe the same thing and `next` follows on (same
// flags but EOF, depth and layer; host offsets contiguous in one file). True if merged.
bool merge_status(BlockStatus& prev, const BlockStatus& next);

// The precise status of [offset, offset+length) as a list of extents that tile it
// (clipped at the node's end); adjacent extents with identical status are merged.
std::vector<StatusExtent> status_extents(const ModelState& s, const Graph& g, int node,
                                         u64 offset, u64 length);
// The same extents, streamed: no list is materialised (maps of huge sparse images).
void for_each_status(const ModelState& s, const Graph& g, int node, u64 offset, u64 length,
                     const std::function<void(const StatusExtent&)>& f);

// What the guest reads: runs of constant bytes tiling [offset, offset+length).
std::vector<Extent<std::uint8_t>> content(const ModelState& s, const Graph& g, int node,
                                          u64 offset, u64 length);
// True if every byte of the range reads as zero.
bool reads_as_zero(const ModelState& s, const Graph& g, int node, u64 offset, u64 length);

}  // namespace chaincheck::model
