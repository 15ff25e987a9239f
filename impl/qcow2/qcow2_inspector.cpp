#include "impl/qcow2/qcow2_inspector.hpp"

#include <stdexcept>

#include "impl/qcow2/byte_order.hpp"
#include "impl/qcow2/cluster_map.hpp"
#include "impl/qcow2/consistency_check.hpp"
#include "impl/qcow2/refcounts.hpp"

namespace chaincheck::impl {

Qcow2Inspector::Qcow2Inspector(std::shared_ptr<const ImageSource> source) : source_(std::move(source)) {
  if (!source_) throw std::invalid_argument("Qcow2Inspector: no image source");
  header_ = read_header(*source_);
  extensions_ = read_header_extensions(*source_, header_);
  validate_features(header_, extensions_);
  backing_file_ = read_backing_file_name(*source_, header_);
  // read_header checked that the L1 table lies inside the file (<= 32 MiB).
  std::vector<std::uint8_t> raw(std::uint64_t{header_.l1_size} * 8);
  source_->read_at(header_.l1_table_offset, raw);
  l1_.resize(header_.l1_size);
  for (std::size_t i = 0; i < l1_.size(); ++i) l1_[i] = qcow2_bytes::load_be64(&raw[i * 8]);
  validate_l1_table(l1_);
}

Qcow2Inspector::Qcow2Inspector(std::span<const std::uint8_t> bytes)
    : Qcow2Inspector(std::vector<std::uint8_t>(bytes.begin(), bytes.end())) {}

Qcow2Inspector::Qcow2Inspector(std::vector<std::uint8_t> bytes)
    : Qcow2Inspector(std::make_shared<const MemoryImageSource>(std::move(bytes))) {}

Qcow2Inspector Qcow2Inspector::open_file(const std::filesystem::path& path) {
  return Qcow2Inspector(std::make_shared<const FileImageSource>(path));
}

std::uint64_t Qcow2Inspector::subcluster_size() const {
  return make_mapping_layout(header_, l1_).unit_size();
}

std::vector<GuestExtent> Qcow2Inspector::map() const { return map(0, header_.virtual_size); }

std::vector<GuestExtent> Qcow2Inspector::map(std::uint64_t offset, std::uint64_t length) const {
  std::vector<GuestExtent> extents;
  for_each_extent(offset, length, [&extents](const GuestExtent& e) {
    extents.push_back(e);
    return true;
  });
  return extents;
}

bool Qcow2Inspector::for_each_extent(std::uint64_t offset, std::uint64_t length, const ExtentVisitor& visit) const {
  return walk_guest_range(*source_, make_mapping_layout(header_, l1_), offset, length, visit);
}

GuestExtent Qcow2Inspector::cluster_state(std::uint64_t guest_offset) const {
  if (guest_offset >= header_.virtual_size)
    throw std::out_of_range("guest offset " + hex(guest_offset) + " is past the virtual size " +
                            hex(header_.virtual_size));
  const std::uint64_t unit = subcluster_size();
  const std::uint64_t start = guest_offset & ~(unit - 1);
  GuestExtent found;
  for_each_extent(start, unit, [&found](const GuestExtent& e) {
    found = e;
    return false;
  });
  return found;
}

std::uint64_t Qcow2Inspector::refcount(std::uint64_t host_cluster_index) const {
  return RefcountReader(*source_, header_).refcount(host_cluster_index);
}

std::vector<std::string> Qcow2Inspector::check() const {
  return check_consistency(*source_, header_, make_mapping_layout(header_, l1_), RefcountReader(*source_, header_));
}

}  // namespace chaincheck::impl
