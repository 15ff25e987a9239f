// KF-045: a write-zeroes with BDRV_REQ_MAY_UNMAP through a BlockBackend (blk_co_pwrite_zeroes,
// here the active commit's mirror into its base) frees the qcow2 host cluster even on a node
// opened with discard=ignore; the model keeps it (ZERO_ALLOC), as bdrv_co_pwrite_zeroes does.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chaincheck::impl {

// A qemu-img map as compared for KF-045: zero entries lose their host offset, then adjacent
// entries that now read alike are merged.
inline nlohmann::json without_zero_offsets(const nlohmann::json& map) {
  nlohmann::json out = nlohmann::json::array();
  for (nlohmann::json e : map) {
    if (e.value("zero", false) && !e.value("data", false)) e.erase("offset");
    if (!out.empty()) {
      nlohmann::json& last = out.back();
      bool same = last["depth"] == e["depth"] && last["present"] == e["present"] && last["zero"] == e["zero"] &&
                  last["data"] == e["data"] && !last.contains("offset") && !e.contains("offset");
      if (same && last["start"].get<std::uint64_t>() + last["length"].get<std::uint64_t>() == e["start"].get<std::uint64_t>()) {
        last["length"] = last["length"].get<std::uint64_t>() + e["length"].get<std::uint64_t>();
        continue;
      }
    }
    out.push_back(e);
  }
  return out;
}

// True when there are differences and every one is a qemu-img map that differs from the
// model's only where the model keeps a zero cluster's host offset and QEMU does not.
inline bool only_kf045(const std::vector<std::string>& diffs) {
  if (diffs.empty()) return false;
  for (const auto& d : diffs) {
    auto r = d.find("qemu-img map\n  real:  ");
    auto m = d.find("\n  model: ");
    if (r == std::string::npos || m == std::string::npos) return false;
    r += std::string("qemu-img map\n  real:  ").size();
    try {
      auto real = nlohmann::json::parse(d.substr(r, m - r));
      auto model = nlohmann::json::parse(d.substr(m + std::string("\n  model: ").size()));
      if (real == model || without_zero_offsets(real) != without_zero_offsets(model)) return false;
      // The model's side has a zero entry with an offset that QEMU's lacks.
      bool model_keeps = false;
      for (const auto& e : model) model_keeps |= e.value("zero", false) && !e.value("data", false) && e.contains("offset");
      if (!model_keeps) return false;
    } catch (const nlohmann::json::exception&) {
      return false;
    }
  }
  return true;
}

}  // namespace chaincheck::impl
