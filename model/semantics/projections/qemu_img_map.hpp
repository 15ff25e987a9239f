// qemu-img map --output=json, as the model predicts it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/semantics/chain.hpp"

namespace chaincheck::model {

// One MapEntry (qapi/block-core.json): data/zero from DATA/ZERO, present from ALLOCATED,
// depth = the 0-based layer that answered (filters are skipped, qemu-img.c).
struct MapEntry {
  u64 start = 0;
  u64 length = 0;
  std::int64_t depth = 0;
  bool present = false;
  bool zero = false;
  bool data = false;
  std::optional<u64> offset;
  bool operator==(const MapEntry&) const = default;
};

// Entries over [start, start+length) of the root, merged as entry_mergeable() does.
std::vector<MapEntry> qemu_img_map(const ModelState& s, const Graph& g, u64 start = 0,
                                   u64 length = UINT64_MAX);

// QEMU's JSON text: `[{ "start": 0, ...},\n{ ...}]` (dump_map_entry).
std::string map_to_json(const std::vector<MapEntry>& entries);

// Merge neighbours with equal flags and depth, ignoring host offsets: the form in which
// maps from different sources are compared (host offsets are not predicted exactly).
std::vector<MapEntry> canonical_map(const std::vector<MapEntry>& entries);

}  // namespace chaincheck::model
