// The NBD metadata context qemu:dirty-bitmap:NAME as QEMU's server sends it.
#pragma once

#include <string>
#include <vector>

#include "model/semantics/dirty_bitmap.hpp"
#include "model/semantics/projections/nbd_contexts.hpp"

namespace chaincheck::model {

inline constexpr const char* kDirtyBitmapPrefix = "qemu:dirty-bitmap:";
std::string dirty_bitmap_context(const std::string& bitmap_name);

// nbd/server.c bitmap_to_extents: the dirty areas of [offset, offset+length) at the
// bitmap's granularity (bit 0 NBD_STATE_DIRTY), clean runs between them, neighbours with
// equal values merged (nbd_extent_array_add), clipped to the range and the bitmap's size.
// With min_block > 1 (offset and length multiples of it, or length reaching the export's
// end) the intended answer obeys the NBD spec's "descriptor lengths MUST be an integer
// multiple of any advertised minimum block size": a block is dirty when any of its bytes
// is (dirty is sticky, the safe answer for incremental backup). QEMU 7.2 does not round
// bitmaps at all (bitmap_to_extents): the oracle reports that as nbd-spec (KF-001's rule).
std::vector<NbdExtent> dirty_bitmap_extents(const DirtyBitmap& b, u64 offset, u64 length, u64 min_block = 1);

// The "mega" view seed 000 left to clients: base:allocation + qemu:allocation-depth + up to
// 28 bitmaps correlated client-side into one extent list. Bits 0-3 as the joint view
// (HOLE, ZERO, LOCAL, BACKING: joint_from_contexts), bit 4+i = bitmap i dirty, in the order
// given (the order "qemu:mega:bitmap1:bitmap2:..." would have fixed). Covers the range all
// contexts describe. Throws std::invalid_argument for more than 28 bitmaps.
inline constexpr std::size_t kMaxJointBitmaps = 28;
std::vector<NbdExtent> joint_with_bitmaps(const std::vector<NbdExtent>& base_allocation,
                                          const std::vector<NbdExtent>& allocation_depth,
                                          const std::vector<std::vector<NbdExtent>>& bitmaps);

}  // namespace chaincheck::model
