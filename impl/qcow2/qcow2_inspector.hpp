// Qcow2Inspector: our own reader of the qcow2 format, independent of QEMU, to check
// what QEMU reports (qemu-img map offsets and flags) against what the L2 tables hold.
//
//   auto img = Qcow2Inspector::open_file("disk.qcow2");
//   for (const GuestExtent& e : img.map()) ...   // state per guest range
//
// Anything malformed is refused with Qcow2FormatError naming what and where; nothing
// is read out of bounds and no allocation is sized by an unchecked header field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "impl/qcow2/guest_extent.hpp"
#include "impl/qcow2/header_extensions.hpp"
#include "impl/qcow2/image_source.hpp"
#include "impl/qcow2/qcow2_error.hpp"
#include "impl/qcow2/qcow2_header.hpp"

namespace chaincheck::impl {

class Qcow2Inspector {
 public:
  // Reads and validates the header, its extensions and the L1 table.
  explicit Qcow2Inspector(std::shared_ptr<const ImageSource> source);
  explicit Qcow2Inspector(std::span<const std::uint8_t> bytes);  // copies
  explicit Qcow2Inspector(std::vector<std::uint8_t> bytes);
  // Reads lazily with pread: multi-GB sparse files cost only the metadata visited.
  static Qcow2Inspector open_file(const std::filesystem::path& path);

  // --- header ---
  const Qcow2Header& header() const { return header_; }
  const HeaderExtensions& extensions() const { return extensions_; }
  std::uint32_t version() const { return header_.version; }
  std::uint32_t cluster_bits() const { return header_.cluster_bits; }
  std::uint64_t cluster_size() const { return header_.cluster_size(); }
  // With extended L2 a cluster has 32 subclusters; otherwise this is the cluster size.
  std::uint64_t subcluster_size() const;
  std::uint64_t virtual_size() const { return header_.virtual_size; }
  std::uint64_t file_size() const { return source_->size(); }
  const std::optional<std::string>& backing_file() const { return backing_file_; }
  const std::optional<std::string>& backing_format() const { return extensions_.backing_format; }
  std::uint64_t incompatible_features() const { return header_.incompatible_features; }
  std::uint64_t compatible_features() const { return header_.compatible_features; }
  std::uint64_t autoclear_features() const { return header_.autoclear_features; }
  std::uint32_t refcount_order() const { return header_.refcount_order; }
  bool extended_l2() const { return header_.extended_l2(); }
  bool external_data_file() const { return header_.external_data_file(); }
  const std::optional<std::string>& external_data_file_name() const { return extensions_.external_data_file; }
  std::uint8_t compression_type() const { return header_.compression_type; }  // 0 zlib, 1 zstd
  std::uint32_t l1_size() const { return header_.l1_size; }
  std::uint64_t l1_table_offset() const { return header_.l1_table_offset; }
  std::uint64_t l1_entry(std::uint32_t index) const { return l1_.at(index); }

  // --- mapping ---
  // The whole virtual disk as merged extents (adjacent equal states with contiguous
  // host offsets are one extent; a compressed cluster is always its own extent).
  std::vector<GuestExtent> map() const;
  // [offset, offset + length) clipped to the virtual size.
  std::vector<GuestExtent> map(std::uint64_t offset, std::uint64_t length) const;
  // Streams the same extents; the visitor returns false to stop. Returns false if stopped.
  bool for_each_extent(std::uint64_t offset, std::uint64_t length, const ExtentVisitor& visit) const;
  // The (sub)cluster holding guest_offset, as one extent starting at the (sub)cluster
  // start (clipped to the virtual size). std::out_of_range past the virtual size.
  GuestExtent cluster_state(std::uint64_t guest_offset) const;

  // --- refcounts ---
  std::uint64_t refcount(std::uint64_t host_cluster_index) const;
  // Problems found (empty = consistent); see consistency_check.hpp.
  std::vector<std::string> check() const;

 private:
  std::shared_ptr<const ImageSource> source_;
  Qcow2Header header_;
  HeaderExtensions extensions_;
  std::optional<std::string> backing_file_;
  std::vector<std::uint64_t> l1_;
};

}  // namespace chaincheck::impl
