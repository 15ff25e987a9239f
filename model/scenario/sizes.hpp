// Sizes as users write them: "65536", "64k", "1M", "2G" (QEMU's suffixes, base 1024).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace chaincheck::model {

// nullopt when `text` is not a size; overflow is not a size either.
std::optional<std::uint64_t> parse_size(const std::string& text);

}  // namespace chaincheck::model
