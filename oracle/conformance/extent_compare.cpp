#include "oracle/conformance/extent_compare.hpp"

#include <algorithm>

namespace chaincheck::oracle::conformance {

using model::NbdExtent;
using model::u64;

std::vector<NbdExtent> clip(const std::vector<NbdExtent>& extents, u64 from, u64 to) {
  std::vector<NbdExtent> out;
  for (const auto& e : extents) {
    u64 s = std::max(e.start, from), t = std::min(e.end(), to);
    if (s < t) out.push_back({s, t - s, e.value});
  }
  return out;
}

std::optional<std::string> first_difference(const std::vector<NbdExtent>& a, const std::vector<NbdExtent>& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const NbdExtent& x = a[i];
    const NbdExtent& y = b[j];
    u64 s = std::max(x.start, y.start), t = std::min(x.end(), y.end());
    if (s < t && x.value != y.value)
      return "bytes " + std::to_string(s) + "+" + std::to_string(t - s) + " are " + std::to_string(x.value) +
             " in one answer and " + std::to_string(y.value) + " in the other";
    if (x.end() <= y.end()) ++i;
    else ++j;
  }
  return std::nullopt;
}

std::string describe_extents(const std::vector<NbdExtent>& extents) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& e : extents) {
    if (shown++ == 6) return out + " ...";
    if (!out.empty()) out += " ";
    out += std::to_string(e.start) + "+" + std::to_string(e.length) + ":" + std::to_string(e.value);
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace chaincheck::oracle::conformance
