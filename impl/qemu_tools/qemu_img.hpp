// Typed driver for qemu-img: every command runs in one working directory (a Workspace),
// with a deadline, and fails with a ToolError whose message is the tool's own first error.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/qemu_tools/image_ref.hpp"
#include "impl/qemu_tools/img_records.hpp"

namespace chaincheck::impl {

struct CreateOptions {
  std::string format = "qcow2";              // "raw" or "qcow2"
  std::optional<std::uint64_t> size;         // bytes; may be omitted when backing is given
  std::optional<std::uint64_t> cluster_size; // qcow2
  std::optional<bool> extended_l2;           // qcow2
  std::optional<std::string> compat;         // qcow2: "0.10" or "1.1"
  std::optional<std::string> preallocation;  // off, metadata (qcow2), falloc, full
  std::optional<std::string> backing_file;   // qcow2
  std::optional<std::string> backing_format; // -F
  bool unsafe_backing = false;               // -u: do not open the backing file
};

struct MapRange {
  std::optional<std::uint64_t> start_offset;  // --start-offset
  std::optional<std::uint64_t> max_length;    // --max-length
};

struct CommitOptions {
  std::string format;               // -f of the image committed
  std::optional<std::string> base;  // -b: commit down to this image
  bool drop = false;                // -d: do not empty the committed image
};

struct RebaseOptions {
  std::string format;          // -f of the image rebased
  std::string backing_file;    // -b ("" removes the backing file)
  std::optional<std::string> backing_format;  // -F
  bool unsafe = false;         // -u: only rewrite the header
};

struct ConvertOptions {
  std::string source_format;                // -f
  std::string target_format;                // -O
  std::optional<std::string> backing_file;  // -B
  std::optional<std::string> backing_format;  // -F (with -B)
  bool existing_target = false;             // -n: write into an existing image
  bool target_is_zero = false;              // --target-is-zero (needs -n)
  bool bitmaps = false;                     // --bitmaps: copy the source's persistent bitmaps
  std::optional<std::uint64_t> cluster_size;  // -o cluster_size=N (a new qcow2 target)
};

struct CompareResult {
  bool identical = false;
  std::string message;  // qemu-img's stdout: "Images are identical." / "Content mismatch at offset N!"
};

// qemu-img check --output=json: exit 0 clean, 2 corruptions, 3 leaked clusters only.
struct CheckResult {
  int exit_code = 0;
  std::string json;  // what qemu-img printed
  bool clean() const { return exit_code == 0; }
};

class QemuImg {
 public:
  explicit QemuImg(std::filesystem::path workdir,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

  void create(const std::string& filename, const CreateOptions& options) const;

  // map --output=json: the raw text as printed, and parsed.
  std::string map_text(const ImageRef& image, const MapRange& range = {}, bool force_share = false) const;
  std::vector<MapEntry> map(const ImageRef& image, const MapRange& range = {}, bool force_share = false) const;

  // info --output=json, for one image or for the whole backing chain (top first).
  ImageInfo info(const ImageRef& image, bool force_share = false) const;
  std::vector<ImageInfo> info_chain(const ImageRef& image, bool force_share = false) const;

  // Corruptions and leaks are results; a check that cannot run is a ToolError.
  CheckResult check(const ImageRef& image, bool force_share = false) const;

  void commit(const std::string& filename, const CommitOptions& options) const;
  void rebase(const std::string& filename, const RebaseOptions& options) const;
  void convert(const ImageRef& source, const std::string& target, const ConvertOptions& options) const;
  // Exit 0: identical, 1: different; anything else is a ToolError.
  CompareResult compare(const ImageRef& first, const ImageRef& second) const;

  // The argv each command would run (for transcripts and tests).
  static std::vector<std::string> create_argv(const std::string& filename, const CreateOptions& options);
  static std::vector<std::string> map_argv(const ImageRef& image, const MapRange& range, bool force_share);

  const std::filesystem::path& workdir() const { return workdir_; }

 private:
  RunResult run(const std::vector<std::string>& argv) const;

  std::filesystem::path workdir_;
  std::chrono::milliseconds timeout_;
};

}  // namespace chaincheck::impl
