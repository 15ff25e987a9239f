// Reference counts of host clusters: refcount table -> refcount blocks of
// 2^refcount_order-bit entries (qcow2.txt, "Host cluster management"). Read lazily.
#pragma once

#include <cstdint>

#include "impl/qcow2/image_source.hpp"
#include "impl/qcow2/qcow2_header.hpp"

namespace chaincheck::impl {

class RefcountReader {
 public:
  // `source` must outlive the reader.
  RefcountReader(const ImageSource& source, const Qcow2Header& header);

  // 0 for clusters past the refcount table or under an unallocated refcount block.
  // Refuses an unaligned refcount block offset or one beyond the end of the file.
  std::uint64_t refcount(std::uint64_t host_cluster_index) const;

  std::uint64_t table_offset() const { return table_offset_; }
  std::uint64_t table_entries() const { return table_entries_; }
  // Raw refcount table entry (0 past the end of the file).
  std::uint64_t table_entry(std::uint64_t index) const;
  // The refcount block offset of a table entry, validated as refcount() does (0 = none).
  std::uint64_t block_offset(std::uint64_t index) const;

 private:
  const ImageSource& source_;
  std::uint32_t cluster_bits_, refcount_order_;
  std::uint32_t block_entry_bits_;  // log2 of entries per refcount block
  std::uint64_t table_offset_, table_entries_;
};

}  // namespace chaincheck::impl
