#include "impl/qcow2/header_extensions.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "impl/qcow2/byte_order.hpp"
#include "impl/qcow2/qcow2_error.hpp"

namespace chaincheck::impl {

using namespace qcow2_bytes;

namespace {

constexpr std::uint32_t kFeatureNameEntryBytes = 48;
constexpr std::uint32_t kMaxBackingFormatLength = 15;  // QEMU keeps it in char[16]

std::string read_string(const ImageSource& source, std::uint64_t offset, std::uint32_t length) {
  std::string s(length, '\0');
  source.read_at(offset, std::span(reinterpret_cast<std::uint8_t*>(s.data()), s.size()));
  return s;
}

std::string feature_label(const HeaderExtensions& ext, std::uint8_t type, unsigned bit) {
  std::string label = std::to_string(bit);
  for (const auto& f : ext.feature_names)
    if (f.type == type && f.bit == bit) return label + " (" + f.name + ")";
  return label;
}

}  // namespace

// Extensions run from the end of the header to the backing file name, or to the end
// of the first cluster (qcow2.txt, "Header extensions"), each padded to 8 bytes.
HeaderExtensions read_header_extensions(const ImageSource& source, const Qcow2Header& h) {
  HeaderExtensions ext;
  std::uint64_t offset = h.version == 2 ? 72 : h.header_length;
  const std::uint64_t end = h.backing_file_offset ? h.backing_file_offset : h.cluster_size();
  // end <= cluster size <= 2 MiB and every step advances >= 8 bytes: the loop is bounded.
  while (offset < end) {
    if (end - offset < 8)
      throw Qcow2FormatError("header extension at " + hex(offset) + " is cut off by the end of the extension area " +
                             hex(end));
    std::array<std::uint8_t, 8> head{};
    source.read_at(offset, head);
    const std::uint32_t type = load_be32(head.data());
    const std::uint32_t length = load_be32(head.data() + 4);
    if (type == qcow2_extension::end) break;
    offset += 8;
    if (length > end - offset)
      throw Qcow2FormatError("header extension " + hex(type) + " at " + hex(offset - 8) + " has length " +
                             std::to_string(length) + ", past the end of the extension area " + hex(end));
    switch (type) {
      case qcow2_extension::backing_format:
        if (length > kMaxBackingFormatLength)
          throw Qcow2FormatError("backing format extension at " + hex(offset - 8) + " has length " +
                                 std::to_string(length) + " (max 15)");
        ext.backing_format = read_string(source, offset, length);
        break;
      case qcow2_extension::external_data_file:
        ext.external_data_file = read_string(source, offset, length);
        break;
      case qcow2_extension::feature_names:
        for (std::uint64_t e = 0; e + kFeatureNameEntryBytes <= length; e += kFeatureNameEntryBytes) {
          std::array<std::uint8_t, kFeatureNameEntryBytes> entry{};
          source.read_at(offset + e, entry);
          FeatureName f{entry[0], entry[1], {}};
          const auto* name = reinterpret_cast<const char*>(entry.data() + 2);
          f.name.assign(name, std::find(name, name + 46, '\0'));
          ext.feature_names.push_back(std::move(f));
        }
        break;
      case qcow2_extension::bitmaps:
        ext.has_bitmaps = true;
        break;
      case qcow2_extension::crypto_header:
        ext.has_crypto_header = true;
        break;
      default:
        ext.unknown_types.push_back(type);
        break;
    }
    offset += (std::uint64_t{length} + 7) & ~std::uint64_t{7};
  }
  return ext;
}

void validate_features(const Qcow2Header& h, const HeaderExtensions& ext) {
  if (const std::uint64_t unknown = h.incompatible_features & ~qcow2_incompatible::known) {
    std::string bits;
    for (unsigned bit = 0; bit < 64; ++bit)
      if (unknown >> bit & 1) bits += (bits.empty() ? "" : ", ") + feature_label(ext, 0, bit);
    throw Qcow2FormatError("unsupported incompatible feature bit(s): " + bits);
  }
  // qcow2.txt, "compression_type": non-zero exactly when incompatible bit 3 is set.
  const bool bit_set = h.incompatible_features & qcow2_incompatible::compression_type;
  if (h.compression_type > 1)
    throw Qcow2FormatError("unknown compression_type " + std::to_string(h.compression_type) + " (0 zlib, 1 zstd)");
  if (bit_set && h.compression_type == 0)
    throw Qcow2FormatError("incompatible bit 3 (compression type) is set but compression_type is 0 (zlib)");
  if (!bit_set && h.compression_type != 0)
    throw Qcow2FormatError("compression_type " + std::to_string(h.compression_type) +
                           " needs incompatible bit 3 (compression type), which is clear");
}

std::optional<std::string> read_backing_file_name(const ImageSource& source, const Qcow2Header& h) {
  if (h.backing_file_offset == 0) return std::nullopt;
  // read_header bounded the name to the first cluster; it must also be in the file.
  if (h.backing_file_offset + h.backing_file_size > source.size())
    throw Qcow2FormatError("backing file name (" + std::to_string(h.backing_file_size) + " bytes at " +
                           hex(h.backing_file_offset) + ") extends beyond the end of the file");
  return read_string(source, h.backing_file_offset, h.backing_file_size);
}

}  // namespace chaincheck::impl
