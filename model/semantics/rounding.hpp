// Rounding a precise status to an alignment with Eric Blake's sticky rules (seed 002;
// "[PATCH 2/5] block: Fix BDRV_BLOCK_RAW status to honor alignment", never merged).
#pragma once

#include <vector>

#include "model/semantics/chain.hpp"

namespace chaincheck::model {

// Combine the statuses of the pieces of one aligned block:
//  DATA, ALLOCATED sticky set (any piece); ZERO sticky clear (all pieces);
//  OFFSET_VALID sticky unset (all pieces, host-contiguous in one file); EOF from the last;
//  depth: the shallowest non-zero depth (a block with any local piece is local, the
//  analogue of ALLOCATED sticky set; 0 only if every piece is 0).
BlockStatus combine_sticky(const std::vector<StatusExtent>& pieces);

// Round precise extents (tiling [start, end)) to `align`: every extent boundary becomes a
// multiple of align (or `node_end`); blocks wholly inside one extent are unchanged.
std::vector<StatusExtent> round_sticky(const std::vector<StatusExtent>& precise, u64 align,
                                       u64 node_end);
// The same into `out` (cleared first), reusing its capacity: hot loops round many times.
void round_sticky(const std::vector<StatusExtent>& precise, u64 align, u64 node_end,
                  std::vector<StatusExtent>& out);

}  // namespace chaincheck::model
