// chaincheck rounding IMAGE --align N: one image served three ways (qemu-nbd under
// blkdebug align=N; nbdkit's blocksize filter minblock=N over qemu-nbd; the model's sticky
// rounding of qemu-nbd's precise answer), base:allocation side by side, each judged.
#pragma once

#include <filesystem>
#include <string>

#include "oracle/conformance/rounding_compare.hpp"

namespace chaincheck::cli {

// Throws std::runtime_error (impl::ToolError) when a server cannot be started or queried.
oracle::conformance::RoundingComparison compare_rounding_live(const std::filesystem::path& image,
                                                              const std::string& format, std::uint64_t align);

}  // namespace chaincheck::cli
