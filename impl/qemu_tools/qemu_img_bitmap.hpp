// qemu-img bitmap: offline persistent dirty bitmap operations on one image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "impl/process/process.hpp"

namespace chaincheck::impl {

struct ImgBitmapAction {
  std::string action;  // add, remove, clear, enable, disable, merge
  std::string source;  // merge: the source bitmap
};

struct ImgBitmapOptions {
  std::string format = "qcow2";                // -f
  std::vector<ImgBitmapAction> actions;        // in order, as qemu-img applies them
  std::optional<std::uint64_t> granularity;    // -g (with add)
  std::optional<std::string> source_file;      // -b (with merge)
  std::optional<std::string> source_format;    // -F (with -b)
};

// The argv: qemu-img bitmap --ACTION... [-g G] [-b SRC -F FMT] -f FMT FILE BITMAP.
std::vector<std::string> qemu_img_bitmap_argv(const std::string& file, const std::string& bitmap,
                                              const ImgBitmapOptions& options);
// Run it in `workdir`; a ToolError carries qemu-img's own message when it fails.
void qemu_img_bitmap(const std::filesystem::path& workdir, const std::string& file, const std::string& bitmap,
                     const ImgBitmapOptions& options);

}  // namespace chaincheck::impl
