// The fixed qcow2 header (v2: 72 bytes, v3: header_length bytes), read and validated.
#pragma once

#include <cstdint>

#include "impl/qcow2/image_source.hpp"

namespace chaincheck::impl {

// Incompatible feature bits (qcow2.txt, "Header", bytes 72-79).
namespace qcow2_incompatible {
inline constexpr std::uint64_t dirty = 1u << 0;
inline constexpr std::uint64_t corrupt = 1u << 1;
inline constexpr std::uint64_t external_data_file = 1u << 2;
inline constexpr std::uint64_t compression_type = 1u << 3;
inline constexpr std::uint64_t extended_l2 = 1u << 4;
inline constexpr std::uint64_t known = 0x1f;
}  // namespace qcow2_incompatible

struct Qcow2Header {
  std::uint32_t version = 0;
  std::uint64_t backing_file_offset = 0;
  std::uint32_t backing_file_size = 0;
  std::uint32_t cluster_bits = 0;
  std::uint64_t virtual_size = 0;
  std::uint32_t crypt_method = 0;
  std::uint32_t l1_size = 0;
  std::uint64_t l1_table_offset = 0;
  std::uint64_t refcount_table_offset = 0;
  std::uint32_t refcount_table_clusters = 0;
  std::uint32_t nb_snapshots = 0;
  std::uint64_t snapshots_offset = 0;
  // v3 fields; for v2 the values the spec says to assume.
  std::uint64_t incompatible_features = 0;
  std::uint64_t compatible_features = 0;
  std::uint64_t autoclear_features = 0;
  std::uint32_t refcount_order = 4;
  std::uint32_t header_length = 72;
  std::uint8_t compression_type = 0;  // 0 zlib, 1 zstd

  std::uint64_t cluster_size() const { return std::uint64_t{1} << cluster_bits; }
  bool extended_l2() const { return incompatible_features & qcow2_incompatible::extended_l2; }
  bool external_data_file() const { return incompatible_features & qcow2_incompatible::external_data_file; }
  bool dirty() const { return incompatible_features & qcow2_incompatible::dirty; }
  bool corrupt() const { return incompatible_features & qcow2_incompatible::corrupt; }
  // Bytes per L2 entry: 8, or 16 with extended L2 entries.
  std::uint32_t l2_entry_bytes() const { return extended_l2() ? 16 : 8; }
  // log2 of the entries per L2 table.
  std::uint32_t l2_bits() const { return cluster_bits - (extended_l2() ? 4 : 3); }
  // L1 entries needed to cover the virtual size.
  std::uint64_t l1_entries_needed() const;
};

// Reads the fixed header and checks every field that sizes or places something, so
// later code may trust: cluster_bits 9..21, header_length within the first cluster,
// l1 table inside the file, refcount table size bounded, virtual size < 2^63.
// Feature bits are checked by validate_features once extensions (names) are known.
Qcow2Header read_header(const ImageSource& source);

}  // namespace chaincheck::impl
