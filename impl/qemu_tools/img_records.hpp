// Typed records of qemu-img's JSON output (map, info) and their parsers.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace chaincheck::impl {

// One entry of `qemu-img map --output=json` (MapEntry in qapi/block-core.json).
struct MapEntry {
  std::uint64_t start = 0;
  std::uint64_t length = 0;
  std::int64_t depth = 0;
  // Absent before QEMU 6.0 (all printed entries were allocated somewhere): read as true.
  bool present = true;
  bool zero = false;
  bool data = false;
  std::optional<std::uint64_t> offset;  // host offset, only when QEMU knows one
  bool operator==(const MapEntry&) const = default;
};
std::ostream& operator<<(std::ostream& os, const MapEntry& e);

// `qemu-img info --output=json` for one image.
struct ImageInfo {
  std::string filename;
  std::string format;
  std::uint64_t virtual_size = 0;
  std::optional<std::uint64_t> actual_size;   // absent for some protocols (nbd)
  std::optional<std::uint64_t> cluster_size;  // absent for raw
  std::optional<std::string> backing_filename;
  std::optional<std::string> full_backing_filename;
  std::optional<std::string> backing_format;
  // qcow2 format-specific data, when printed.
  std::optional<std::string> compat;       // "0.10" or "1.1"
  std::optional<bool> extended_l2;         // only printed for compat=1.1
  bool dirty = false;
};

// Parse map JSON text (an array of entries). Throws ToolError naming the entry and the
// field that is missing or has the wrong type, or saying the text is not JSON.
std::vector<MapEntry> parse_map_json(const std::string& text);

// Parse `info --output=json` (one object) / `info --output=json --backing-chain` (an array,
// top image first). Same error rules.
ImageInfo parse_info_json(const std::string& text);
std::vector<ImageInfo> parse_info_chain_json(const std::string& text);

}  // namespace chaincheck::impl
