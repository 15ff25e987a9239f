// One L2 entry (standard 8 bytes, or extended 16 bytes with a subcluster bitmap)
// turned into per-subcluster states, following QEMU's qcow2_get_cluster_type and
// qcow2_get_subcluster_type. Entries QEMU treats as corruption are refused.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "impl/qcow2/guest_extent.hpp"

namespace chaincheck::impl {

namespace qcow2_l2 {
inline constexpr std::uint64_t copied = std::uint64_t{1} << 63;
inline constexpr std::uint64_t compressed = std::uint64_t{1} << 62;
inline constexpr std::uint64_t zero = 1;
inline constexpr std::uint64_t offset_mask = 0x00fffffffffffe00;  // bits 9-55 (L1 and L2)
inline constexpr std::uint64_t standard_reserved = 0x3f000000000001fe;  // bits 1-8, 56-61
inline constexpr std::uint64_t l1_reserved = 0x7f000000000001ff;        // bits 0-8, 56-62
inline constexpr unsigned subclusters_per_cluster = 32;
}  // namespace qcow2_l2

struct L2Rules {
  std::uint32_t version = 3;
  std::uint32_t cluster_bits = 16;
  bool extended_l2 = false;
  bool external_data_file = false;
};

// Where an entry sits, for error messages.
struct L2EntryLocation {
  std::uint64_t l1_index = 0;
  std::uint64_t l2_index = 0;
  std::uint64_t guest_offset = 0;
  std::string describe() const;
};

struct DecodedL2Entry {
  unsigned units = 1;  // 1 cluster, or 32 subclusters with extended L2
  std::array<ClusterState, qcow2_l2::subclusters_per_cluster> states{};
  std::optional<std::uint64_t> host_cluster_offset;  // standard clusters that have one
  std::optional<CompressedCluster> compressed;
};

DecodedL2Entry decode_l2_entry(const L2Rules& rules, std::uint64_t entry, std::uint64_t bitmap,
                               const L2EntryLocation& where);

// The compressed descriptor's host offset and byte size (qcow2.txt, "Compressed
// Clusters Descriptor"; QEMU's qcow2_parse_compressed_l2_entry).
CompressedCluster parse_compressed_descriptor(std::uint32_t cluster_bits, std::uint64_t entry);

}  // namespace chaincheck::impl
