#include "impl/qcow2/refcounts.hpp"

#include <array>

#include "impl/qcow2/byte_order.hpp"
#include "impl/qcow2/qcow2_error.hpp"

namespace chaincheck::impl {

using namespace qcow2_bytes;

namespace {
constexpr std::uint64_t kRefcountTableOffsetMask = 0xfffffffffffffe00;  // bits 9-63
}

RefcountReader::RefcountReader(const ImageSource& source, const Qcow2Header& h)
    : source_(source),
      cluster_bits_(h.cluster_bits),
      refcount_order_(h.refcount_order),
      block_entry_bits_(h.cluster_bits + 3 - h.refcount_order),  // cluster_size * 8 / refcount_bits
      table_offset_(h.refcount_table_offset),
      table_entries_((std::uint64_t{h.refcount_table_clusters} << h.cluster_bits) / 8) {}

std::uint64_t RefcountReader::table_entry(std::uint64_t index) const {
  std::array<std::uint8_t, 8> raw{};
  source_.read_at(table_offset_ + index * 8, raw);  // read_header bounded the table to 8 MiB
  return load_be64(raw.data());
}

std::uint64_t RefcountReader::block_offset(std::uint64_t index) const {
  const std::uint64_t block = table_entry(index) & kRefcountTableOffsetMask;
  if (block == 0) return 0;
  if (block & ((std::uint64_t{1} << cluster_bits_) - 1))
    throw Qcow2FormatError("refcount block offset " + hex(block) + " at refcount table index " +
                           std::to_string(index) + " is not aligned to the cluster size");
  if (block >= source_.size())
    throw Qcow2FormatError("refcount block offset " + hex(block) + " at refcount table index " +
                           std::to_string(index) + " is beyond the end of the file (" + hex(source_.size()) +
                           " bytes)");
  return block;
}

std::uint64_t RefcountReader::refcount(std::uint64_t host_cluster_index) const {
  const std::uint64_t table_index = host_cluster_index >> block_entry_bits_;
  if (table_index >= table_entries_) return 0;
  const std::uint64_t block = block_offset(table_index);
  if (block == 0) return 0;
  const std::uint64_t index_in_block = host_cluster_index & ((std::uint64_t{1} << block_entry_bits_) - 1);
  const std::uint64_t bit_position = index_in_block << refcount_order_;
  const unsigned width = 1u << refcount_order_;
  std::array<std::uint8_t, 8> raw{};
  if (width < 8) {
    // Sub-byte widths: bit 0 is the least significant bit of the byte.
    source_.read_at(block + bit_position / 8, std::span(raw).first(1));
    return (raw[0] >> (bit_position % 8)) & ((1u << width) - 1);
  }
  source_.read_at(block + bit_position / 8, std::span(raw).first(width / 8));
  std::uint64_t value = 0;
  for (unsigned i = 0; i < width / 8; ++i) value = value << 8 | raw[i];
  return value;
}

}  // namespace chaincheck::impl
