// The copy phase of a mirror job whose target is a backing image of its source
// (commit_active_start: QMP active block-commit; qemu-img commit uses the same job): which
// ranges it copies, zeroes or discards in the target, as guest operations on the target.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "model/semantics/operations.hpp"

namespace chaincheck::model {

// Mirrors `top`'s chain (opened from its header) into the image `base_index` layers below
// it (>= 1), until source and target read alike. `target` is how the target node is open:
// unmap = false for a node without discard=unmap (discards dropped, zero writes keep their
// host clusters: bdrv_co_pdiscard / bdrv_co_do_pwrite_zeroes check BDRV_O_UNMAP).
// A base shorter than the top is grown when raw; a shorter qcow2 base is not modelled.
std::optional<OpError> mirror_into_backing(ModelState& s, const std::string& top, std::size_t base_index,
                                           OpenOptions target);

}  // namespace chaincheck::model
