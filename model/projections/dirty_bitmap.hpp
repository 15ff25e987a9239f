// The NBD metadata context qemu:dirty-bitmap:NAME as QEMU's server sends it.
#pragma once

#include <string>
#include <vector>

#include "model/dirty_bitmap.hpp"
#include "model/projections/nbd_contexts.hpp"

namespace chaincheck::model {

inline constexpr const char* kDirtyBitmapPrefix = "qemu:dirty-bitmap:";
std::string dirty_bitmap_context(const std::string& bitmap_name);

// nbd/server.c bitmap_to_extents: the dirty areas of [offset, offset+length) at the
// bitmap's granularity (bit 0 NBD_STATE_DIRTY), clean runs between them, neighbours with
// equal values merged (nbd_extent_array_add), clipped to the range and the bitmap's size.
// No sticky rounding to the minimum block size: QEMU applies none to bitmaps.
std::vector<NbdExtent> dirty_bitmap_extents(const DirtyBitmap& b, u64 offset, u64 length);

}  // namespace chaincheck::model
