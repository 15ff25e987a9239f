// Test-only: runs qemu-img / qemu-io for the live tests with posix_spawnp and an argv
// array (never a shell), output captured through files in a scratch directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace chaincheck::impl::testing {

struct ToolResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
};

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs argv[0] from PATH with stdin from /dev/null; stdout/stderr captured via files in `scratch`.
ToolResult run_tool(const std::vector<std::string>& argv, const std::filesystem::path& scratch);

std::string join_args(const std::vector<std::string>& argv);

}  // namespace chaincheck::impl::testing
