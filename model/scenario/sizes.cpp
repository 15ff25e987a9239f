#include "model/scenario/sizes.hpp"

#include <cctype>

namespace chaincheck::model {

std::optional<std::uint64_t> parse_size(const std::string& text) {
  std::size_t i = 0;
  std::uint64_t v = 0;
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    std::uint64_t d = static_cast<std::uint64_t>(text[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
    ++i;
  }
  std::string suffix = text.substr(i);
  unsigned shift = 0;
  if (suffix.empty() || suffix == "b" || suffix == "B") {
    shift = 0;
  } else {
    const std::string units = "kmgtpe";
    auto p = units.find(static_cast<char>(std::tolower(static_cast<unsigned char>(suffix[0]))));
    std::string rest = suffix.substr(1);
    if (p == std::string::npos || !(rest.empty() || rest == "iB" || rest == "B")) return std::nullopt;
    shift = 10 * static_cast<unsigned>(p + 1);
  }
  if (shift && v > (UINT64_MAX >> shift)) return std::nullopt;
  return v << shift;
}

}  // namespace chaincheck::model
