// NBD metadata contexts as the model predicts them, and the client-side merger.
#pragma once

#include <cstdint>
#include <vector>

#include "model/semantics/chain.hpp"

namespace chaincheck::model {

// NBD spec "base:allocation": bit 0 HOLE, bit 1 ZERO.
inline constexpr std::uint32_t kNbdHole = 1;
inline constexpr std::uint32_t kNbdZero = 2;
// The joint view proposed in seed 000 (qemu:joint-allocation, never merged upstream):
// HOLE, ZERO, LOCAL (depth 1), BACKING (depth >= 2).
inline constexpr std::uint32_t kJointLocal = 4;
inline constexpr std::uint32_t kJointBacking = 8;
// qemu:dirty-bitmap:NAME bit 0.
inline constexpr std::uint32_t kNbdDirty = 1;

struct NbdExtent {
  u64 start = 0;
  u64 length = 0;
  std::uint32_t value = 0;  // flags, or the depth for qemu:allocation-depth
  u64 end() const { return start + length; }
  bool operator==(const NbdExtent&) const = default;
};

enum class NbdContext { BaseAllocation, AllocationDepth, JointAllocation };
const char* to_string(NbdContext c);

// One context's value for a status (server.c blockstatus_to_extents / blockalloc_to_extents).
std::uint32_t context_value(NbdContext c, const BlockStatus& st);

// The extents a server should send for [offset, offset+length): the precise status, or,
// when min_block > 1, the status rounded with the sticky rules (round_sticky), then
// projected; neighbours with equal values merged (nbd_extent_array_add).
std::vector<NbdExtent> nbd_extents(const ModelState& s, const Graph& g, NbdContext c, u64 offset,
                                   u64 length, u64 min_block = 1);

// Merge neighbours with equal values.
std::vector<NbdExtent> merge_equal(std::vector<NbdExtent> extents);

// The client-side merger: several contexts' extents (each tiling a prefix of the same
// range, with different boundaries) as one list whose extents carry every context's value.
// Covers the range all contexts describe (the shortest reply wins).
struct MergedExtent {
  u64 start = 0;
  u64 length = 0;
  std::vector<std::uint32_t> values;  // one per context, in input order
  bool operator==(const MergedExtent&) const = default;
};
std::vector<MergedExtent> merge_contexts(const std::vector<std::vector<NbdExtent>>& contexts);
// One context back out of a merged list (neighbours with equal values merged).
std::vector<NbdExtent> split_context(const std::vector<MergedExtent>& merged, std::size_t index);

// The joint view computed by a client from base:allocation + qemu:allocation-depth.
std::vector<NbdExtent> joint_from_contexts(const std::vector<NbdExtent>& base_allocation,
                                           const std::vector<NbdExtent>& allocation_depth);

}  // namespace chaincheck::model
