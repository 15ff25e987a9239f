// Walking the L1 table and L2 tables: from guest ranges to per-(sub)cluster states.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "impl/qcow2/guest_extent.hpp"
#include "impl/qcow2/image_source.hpp"
#include "impl/qcow2/l2_entry.hpp"
#include "impl/qcow2/qcow2_header.hpp"

namespace chaincheck::impl {

struct MappingLayout {
  L2Rules rules;
  std::uint32_t l2_bits = 0;         // log2 of entries per L2 table
  std::uint32_t l2_entry_bytes = 8;  // 16 with extended L2
  std::uint64_t virtual_size = 0;
  std::span<const std::uint64_t> l1;  // raw L1 entries, l1_size of them

  std::uint64_t cluster_size() const { return std::uint64_t{1} << rules.cluster_bits; }
  // Guest bytes one L2 table covers.
  std::uint32_t table_span_bits() const { return rules.cluster_bits + l2_bits; }
  // Size of the unit that has one state: the subcluster with extended L2, else the cluster.
  std::uint64_t unit_size() const {
    return rules.extended_l2 ? cluster_size() / qcow2_l2::subclusters_per_cluster : cluster_size();
  }
  // Entries of the table at l1_index that describe guest clusters below the virtual size.
  std::uint64_t entries_in_table(std::uint64_t l1_index) const;
};

MappingLayout make_mapping_layout(const Qcow2Header& header, std::span<const std::uint64_t> l1);

// Refuses an L2 table offset that is not cluster aligned or lies beyond the end of the file.
void validate_l2_table_offset(const ImageSource& source, const MappingLayout& layout, std::uint64_t l1_index,
                              std::uint64_t l2_offset);

// Refuses an active L1 table in which two entries share an L2 table: QEMU allocates one
// table per entry, and a shared table would multiply the work of every walk.
void validate_l1_table(std::span<const std::uint64_t> l1);

// Entries [first, first + count) of one L2 table as read from the image (clipped to the
// entries below the virtual size; entries past the end of the file read as 0).
class L2Table {
 public:
  // Validates the offset with validate_l2_table_offset.
  L2Table(const ImageSource& source, const MappingLayout& layout, std::uint64_t l1_index, std::uint64_t l2_offset,
          std::uint64_t first = 0, std::uint64_t count = UINT64_MAX);
  std::uint64_t first() const { return first_; }
  std::uint64_t end() const { return end_; }
  std::uint64_t present_end() const { return present_end_; }  // entries before it are backed by file bytes
  std::uint64_t entry(std::uint64_t index) const;   // first() <= index < end()
  std::uint64_t bitmap(std::uint64_t index) const;  // 0 without extended L2

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint32_t entry_bytes_;
  std::uint64_t first_ = 0, end_ = 0, present_end_ = 0;
};

// Extents of entries [first, first + count) of one table; guest offsets relative to the
// first guest byte the table maps.
std::vector<GuestExtent> decode_l2_entries(const ImageSource& source, const MappingLayout& layout,
                                           std::uint64_t l1_index, std::uint64_t l2_offset, std::uint64_t first,
                                           std::uint64_t count);

// Visits merged extents covering [offset, offset + length) clipped to the virtual size.
// Returns false if the visitor stopped the walk.
bool walk_guest_range(const ImageSource& source, const MappingLayout& layout, std::uint64_t offset,
                      std::uint64_t length, const ExtentVisitor& visit);

}  // namespace chaincheck::impl
