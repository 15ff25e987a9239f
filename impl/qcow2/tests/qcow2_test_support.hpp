// Shared helpers of the qcow2 inspector unit tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "impl/qcow2/qcow2_inspector.hpp"
#include "impl/qcow2/tests/qcow2_image_builder.hpp"

namespace chaincheck::impl::testing {

inline constexpr std::uint64_t kCopied = std::uint64_t{1} << 63;
inline constexpr std::uint64_t kCompressed = std::uint64_t{1} << 62;
inline constexpr std::uint64_t kZeroFlag = 1;

inline Qcow2Inspector inspect(const Qcow2ImageBuilder& b) { return Qcow2Inspector(b.bytes()); }

// The message of the Qcow2FormatError `action` throws ("" if it throws none).
inline std::string format_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Qcow2FormatError& e) {
    return e.what();
  }
  return "";
}

inline std::string describe(const std::vector<GuestExtent>& extents) {
  std::string s;
  for (const auto& e : extents) s += to_string(e) + "\n";
  return s;
}

}  // namespace chaincheck::impl::testing
