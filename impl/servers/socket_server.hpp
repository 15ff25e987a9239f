// Shared start-up of the NBD servers chaincheck runs: a child process that listens on a
// unix socket inside a private workspace, awaited by connecting to it (never by sleeping).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "impl/process/process.hpp"

namespace chaincheck::impl {

// Starts `argv` (stderr to `log_file`) and returns once the server at `socket` accepts a
// connection AND completes the NBD greeting (qemu-nbd listens before it opens its image,
// so accepting alone proves nothing). Throws ToolError naming `what` with the log tail
// when the program exits first or is not ready within `timeout`; the child is killed and
// reaped in both cases.
BackgroundProcess start_nbd_server(const std::vector<std::string>& argv, const std::string& what,
                                   const std::filesystem::path& socket, const std::filesystem::path& log_file,
                                   const std::filesystem::path& cwd, std::chrono::milliseconds timeout);

}  // namespace chaincheck::impl
