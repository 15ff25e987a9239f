// Chain operations of qemu-img (commit, rebase, convert): what each does to every layer's
// metadata and content. Each is a sequence of the guest operations QEMU itself issues
// (reads through one chain, writes / write-zeroes / discards into another), so the
// per-cluster effects come from operations.cpp.
#pragma once

#include <optional>
#include <string>

#include "model/semantics/operations.hpp"

namespace chaincheck::model {

// qemu-img commit [-b BASE] [-d] TOP
struct CommitOptions {
  std::string top;
  std::optional<std::string> base;  // -b: an image of TOP's chain (default: TOP's backing); implies -d
  bool drop = false;                // -d: TOP is left as it was
  bool operator==(const CommitOptions&) const = default;
};

// qemu-img rebase [-u] -b BACKING [-F FMT] IMAGE ("" = no backing file)
struct RebaseOptions {
  std::string image;
  std::string backing;  // "" removes the backing file
  std::optional<ImageFormat> backing_format;
  bool unsafe = false;  // -u: rewrite the header only
  bool operator==(const RebaseOptions&) const = default;
};

// qemu-img convert -O FMT [-o cluster_size=N] [-B BACKING -F FMT] [-n [--target-is-zero]] SRC TARGET
struct ConvertOptions {
  std::string source;  // opened with its backing chain
  std::string target;
  ImageFormat target_format = ImageFormat::Qcow2;
  unsigned cluster_bits = 16;  // a created qcow2 target
  std::optional<std::string> backing;  // -B: the new target's backing file
  std::optional<ImageFormat> backing_format;
  bool existing = false;        // -n: write into an existing target
  bool target_is_zero = false;  // --target-is-zero (needs -n): zero ranges are skipped
  bool bitmaps = false;         // --bitmaps: the source top's persistent bitmaps copied (bitmap_effects.hpp)
  bool operator==(const ConvertOptions&) const = default;
};

std::optional<OpError> commit_image(ModelState& s, const CommitOptions& o);
std::optional<OpError> rebase_image(ModelState& s, const RebaseOptions& o);
std::optional<OpError> convert_image(ModelState& s, const ConvertOptions& o);

}  // namespace chaincheck::model
