#include "model/semantics/block_status.hpp"

namespace chaincheck::model {

std::string flags_to_string(std::uint32_t flags) {
  std::string s;
  auto add = [&](std::uint32_t f, const char* name) {
    if (flags & f) {
      if (!s.empty()) s += '|';
      s += name;
    }
  };
  add(kData, "DATA");
  add(kZero, "ZERO");
  add(kOffsetValid, "OFFSET_VALID");
  add(kAllocated, "ALLOCATED");
  add(kEof, "EOF");
  return s.empty() ? "0" : s;
}

}  // namespace chaincheck::model
