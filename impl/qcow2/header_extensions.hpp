// Header extensions between the header and the backing file name / end of cluster 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "impl/qcow2/image_source.hpp"
#include "impl/qcow2/qcow2_header.hpp"

namespace chaincheck::impl {

namespace qcow2_extension {
inline constexpr std::uint32_t end = 0;
inline constexpr std::uint32_t backing_format = 0xe2792aca;
inline constexpr std::uint32_t feature_names = 0x6803f857;
inline constexpr std::uint32_t bitmaps = 0x23852875;
inline constexpr std::uint32_t crypto_header = 0x0537be77;
inline constexpr std::uint32_t external_data_file = 0x44415441;
}  // namespace qcow2_extension

struct FeatureName {
  std::uint8_t type = 0;  // 0 incompatible, 1 compatible, 2 autoclear
  std::uint8_t bit = 0;
  std::string name;
};

struct HeaderExtensions {
  std::optional<std::string> backing_format;
  std::optional<std::string> external_data_file;
  std::vector<FeatureName> feature_names;
  bool has_bitmaps = false;
  bool has_crypto_header = false;
  std::vector<std::uint32_t> unknown_types;  // ignored, as the spec allows
};

HeaderExtensions read_header_extensions(const ImageSource& source, const Qcow2Header& header);

// Refuses unknown incompatible bits (naming them from the feature table when it can)
// and inconsistent compression-type settings.
void validate_features(const Qcow2Header& header, const HeaderExtensions& extensions);

// The backing file name stored at backing_file_offset, if any.
std::optional<std::string> read_backing_file_name(const ImageSource& source, const Qcow2Header& header);

}  // namespace chaincheck::impl
