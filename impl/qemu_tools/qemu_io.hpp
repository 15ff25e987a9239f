// Typed driver for qemu-io: many -c commands against one image in ONE process, each
// command's outcome read back from the output (see io_output.hpp).
//
// Named QemuIoScript, not QemuIo: impl/transcript already defines chaincheck::impl::QemuIo
// (a transcript command); two classes of one name in one namespace would break linking.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/qemu_tools/image_ref.hpp"
#include "impl/qemu_tools/io_output.hpp"

namespace chaincheck::impl {

struct QemuIoResult {
  std::vector<QemuIoCommandResult> commands;  // one per command, in order
  std::vector<std::string> unexplained;       // output no command accounts for
  RunResult run;                              // the raw run (argv, exit code, out, err)
  // Every command succeeded, nothing unexplained, and qemu-io exited 0.
  bool ok() const;
  // "write -P 1 307200 4096: write failed: Input/output error", or "" when ok().
  std::string first_error() const;
};

class QemuIoScript {
 public:
  explicit QemuIoScript(ImageRef image);

  QemuIoScript& write(std::uint64_t offset, std::uint64_t length, std::uint8_t pattern);
  QemuIoScript& write_zeroes(std::uint64_t offset, std::uint64_t length, bool unmap = false);
  QemuIoScript& write_compressed(std::uint64_t offset, std::uint64_t length,
                                 std::optional<std::uint8_t> pattern = std::nullopt);
  QemuIoScript& discard(std::uint64_t offset, std::uint64_t length);
  // With `expected`, qemu-io verifies every byte (read -P) and the command fails otherwise.
  QemuIoScript& read(std::uint64_t offset, std::uint64_t length,
                     std::optional<std::uint8_t> expected = std::nullopt);
  QemuIoScript& map();
  QemuIoScript& alloc(std::uint64_t offset, std::optional<std::uint64_t> count = std::nullopt);
  QemuIoScript& add(const QemuIoCommand& command);

  QemuIoScript& read_only(bool on = true);    // -r
  QemuIoScript& force_share(bool on = true);  // -U (the image is in use elsewhere)
  // -t MODE (writeback, unsafe...): qemu-io's default writethrough syncs after every write,
  // which makes thousands of set-up writes take seconds instead of a fraction of one.
  QemuIoScript& cache(std::string mode);

  const std::vector<QemuIoCommand>& commands() const { return commands_; }
  std::vector<std::string> argv() const;

  // Runs in `workdir`. Throws ToolError when qemu-io cannot open the image, times out or
  // crashes; command failures are reported in the result.
  QemuIoResult run(const std::filesystem::path& workdir,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  ImageRef image_;
  std::vector<QemuIoCommand> commands_;
  bool read_only_ = false;
  bool force_share_ = false;
  std::string cache_;
};

}  // namespace chaincheck::impl
