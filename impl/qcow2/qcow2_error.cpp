#include "impl/qcow2/qcow2_error.hpp"

#include <cstdio>

namespace chaincheck::impl {

std::string hex(std::uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace chaincheck::impl
