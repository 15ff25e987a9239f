#include "impl/qcow2/tests/qcow2_image_builder.hpp"

#include <stdexcept>

namespace chaincheck::impl::testing {

namespace {
constexpr std::uint64_t kCopied = std::uint64_t{1} << 63;
constexpr std::uint32_t kV3HeaderLength = 112;  // 104 + compression_type + padding
}  // namespace

Qcow2ImageBuilder::Qcow2ImageBuilder(Qcow2BuildOptions options) : options_(std::move(options)) {
  const std::uint32_t l2_bits = options_.cluster_bits - (options_.extended_l2 ? 4 : 3);
  const std::uint32_t span_bits = options_.cluster_bits + l2_bits;
  const std::uint64_t v = options_.virtual_size;
  l1_size_ = static_cast<std::uint32_t>((v >> span_bits) + ((v & ((std::uint64_t{1} << span_bits) - 1)) != 0));
  const std::uint64_t l1_clusters = (std::uint64_t{l1_size_} * 8 + cluster_size() - 1) / cluster_size();
  ensure_size((3 + std::max<std::uint64_t>(l1_clusters, 1)) * cluster_size());
  write_header();
  put_be64(refcount_table_offset(), refcount_block_offset());
  for (std::uint64_t c = 0; c < 3 + std::max<std::uint64_t>(l1_clusters, 1); ++c) set_refcount(c, 1);
}

void Qcow2ImageBuilder::ensure_size(std::uint64_t size) {
  if (bytes_.size() < size) bytes_.resize(size);
}

void Qcow2ImageBuilder::write_header() {
  const auto& o = options_;
  put_be32(0, 0x514649fb);
  put_be32(4, o.version);
  put_be32(20, o.cluster_bits);
  put_be64(24, o.virtual_size);
  put_be32(36, l1_size_);
  put_be64(40, l1_table_offset());
  put_be64(48, refcount_table_offset());
  put_be32(56, 1);
  std::uint64_t ext = 72;
  if (o.version >= 3) {
    std::uint64_t incompatible = o.extra_incompatible_bits;
    if (o.extended_l2) incompatible |= 1u << 4;
    if (o.external_data_file) incompatible |= 1u << 2;
    put_be64(72, incompatible);
    put_be32(96, o.refcount_order);
    put_be32(100, kV3HeaderLength);
    ext = kV3HeaderLength;
  }
  auto put_extension = [&](std::uint32_t type, const std::string& data) {
    put_be32(ext, type);
    put_be32(ext + 4, static_cast<std::uint32_t>(data.size()));
    for (std::size_t i = 0; i < data.size(); ++i) put_u8(ext + 8 + i, static_cast<std::uint8_t>(data[i]));
    ext += 8 + ((data.size() + 7) & ~std::size_t{7});
  };
  if (o.backing_format) put_extension(0xe2792aca, *o.backing_format);
  if (!o.incompatible_feature_names.empty()) {
    std::string table;
    for (const auto& [bit, name] : o.incompatible_feature_names) {
      std::string entry(48, '\0');
      entry[1] = static_cast<char>(bit);
      entry.replace(2, std::min<std::size_t>(name.size(), 46), name.substr(0, 46));
      table += entry;
    }
    put_extension(0x6803f857, table);
  }
  put_be32(ext, 0);  // end of extensions
  put_be32(ext + 4, 0);
  ext += 8;
  if (o.backing_file) {
    put_be64(8, ext);
    put_be32(16, static_cast<std::uint32_t>(o.backing_file->size()));
    for (std::size_t i = 0; i < o.backing_file->size(); ++i)
      put_u8(ext + i, static_cast<std::uint8_t>((*o.backing_file)[i]));
  }
}

std::uint64_t Qcow2ImageBuilder::allocate_cluster() {
  const std::uint64_t offset = bytes_.size();
  ensure_size(offset + cluster_size());
  set_refcount(offset / cluster_size(), 1);
  return offset;
}

std::uint64_t Qcow2ImageBuilder::l2_table_offset(std::uint64_t l1_index) const {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | bytes_.at(l1_table_offset() + l1_index * 8 + i);
  return v & 0x00fffffffffffe00;
}

void Qcow2ImageBuilder::set_l2_entry(std::uint64_t guest_cluster, std::uint64_t entry, std::uint64_t bitmap) {
  const std::uint32_t l2_bits = options_.cluster_bits - (options_.extended_l2 ? 4 : 3);
  const std::uint64_t l1_index = guest_cluster >> l2_bits;
  if (l1_index >= l1_size_) throw std::logic_error("guest cluster past the virtual size");
  std::uint64_t table = l2_table_offset(l1_index);
  if (table == 0) {
    table = allocate_cluster();
    put_be64(l1_table_offset() + l1_index * 8, table | kCopied);
  }
  const std::uint64_t entry_bytes = options_.extended_l2 ? 16 : 8;
  const std::uint64_t at = table + (guest_cluster & ((std::uint64_t{1} << l2_bits) - 1)) * entry_bytes;
  put_be64(at, entry);
  if (options_.extended_l2) put_be64(at + 8, bitmap);
}

std::uint64_t Qcow2ImageBuilder::map_data_cluster(std::uint64_t guest_cluster) {
  set_l2_entry(guest_cluster, 0);  // the L2 table first, so data clusters stay contiguous
  const std::uint64_t host = allocate_cluster();
  set_l2_entry(guest_cluster, host | kCopied, options_.extended_l2 ? 0xffffffffu : 0);
  return host;
}

void Qcow2ImageBuilder::set_refcount(std::uint64_t host_cluster_index, std::uint64_t value) {
  const unsigned width = 1u << options_.refcount_order;
  const std::uint64_t bit = host_cluster_index * width;
  if (bit / 8 >= cluster_size()) throw std::logic_error("test image outgrew its one refcount block");
  const std::uint64_t at = refcount_block_offset() + bit / 8;
  if (width < 8) {
    const unsigned shift = bit % 8;
    const std::uint8_t mask = static_cast<std::uint8_t>(((1u << width) - 1) << shift);
    bytes_[at] = static_cast<std::uint8_t>((bytes_[at] & ~mask) | ((value << shift) & mask));
    return;
  }
  for (unsigned i = 0; i < width / 8; ++i)
    bytes_[at + i] = static_cast<std::uint8_t>(value >> (8 * (width / 8 - 1 - i)));
}

void Qcow2ImageBuilder::put_u8(std::uint64_t offset, std::uint8_t value) {
  ensure_size(offset + 1);
  bytes_[offset] = value;
}
void Qcow2ImageBuilder::put_be32(std::uint64_t offset, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) put_u8(offset + i, static_cast<std::uint8_t>(value >> (24 - 8 * i)));
}
void Qcow2ImageBuilder::put_be64(std::uint64_t offset, std::uint64_t value) {
  put_be32(offset, static_cast<std::uint32_t>(value >> 32));
  put_be32(offset + 4, static_cast<std::uint32_t>(value));
}

}  // namespace chaincheck::impl::testing
