// The core answer of the model: QEMU's BDRV_BLOCK_* flags for a byte range, plus depth.
#pragma once

#include <cstdint>
#include <string>

#include "model/semantics/extent_map.hpp"

namespace chaincheck::model {

// Values as in QEMU include/block/block-common.h (RAW and RECURSE are internal there).
inline constexpr std::uint32_t kData = 0x01;         // allocation for data tied to the answering layer
inline constexpr std::uint32_t kZero = 0x02;         // reads as zero
inline constexpr std::uint32_t kOffsetValid = 0x04;  // a host offset exists for the raw data
inline constexpr std::uint32_t kAllocated = 0x10;    // content determined by this layer, not a backing
inline constexpr std::uint32_t kEof = 0x20;          // the range reaches the end of the queried node

struct BlockStatus {
  std::uint32_t flags = 0;
  u64 pnum = 0;        // bytes this answer covers, from the queried offset
  u64 host_offset = 0; // valid with kOffsetValid
  int image = -1;      // image whose file host_offset refers to
  // qemu:allocation-depth semantics: 1 = top COW layer, N = N-th layer, 0 = no layer
  // allocates it (docs/interop/nbd.txt). Filters are not layers.
  unsigned depth = 0;
  // qemu-img map "depth": 0-based index of the last COW layer consulted.
  unsigned layer = 0;

  bool has(std::uint32_t f) const { return (flags & f) == f; }
  bool operator==(const BlockStatus&) const = default;
};

std::string flags_to_string(std::uint32_t flags);

}  // namespace chaincheck::model
