// The one place chaincheck starts programs: posix_spawn with an argv array, never a shell,
// only allow-listed programs, always with a timeout, always reaped.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chaincheck::impl {

// Any failure talking to a real tool. what() is one line a user can act on.
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A program chaincheck needs is not installed; the message names the Debian package.
class MissingProgram : public ToolError {
 public:
  using ToolError::ToolError;
};

// Programs chaincheck may start (argv[0] is one of these names, resolved on PATH).
const std::vector<std::string>& allowed_programs();
// The Debian package that ships `program` ("qemu-img" -> "qemu-utils").
std::string debian_package_for(const std::string& program);
// Absolute path of an allow-listed program; throws MissingProgram (naming the package) or
// ToolError (not allow-listed).
std::filesystem::path locate_program(const std::string& program);

struct RunOptions {
  // Options with only the working directory set.
  static RunOptions in(std::filesystem::path dir) {
    RunOptions o;
    o.cwd = std::move(dir);
    return o;
  }
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::filesystem::path cwd;  // empty: inherit
  std::optional<std::string> stdin_data;
};

struct RunResult {
  std::vector<std::string> argv;
  int exit_code = -1;    // valid when term_signal == 0
  int term_signal = 0;   // signal that ended the process, 0 if it exited
  bool timed_out = false;
  std::string out;
  std::string err;
  std::chrono::milliseconds timeout{0};  // the limit it ran under (for describe())
  bool ok() const { return !timed_out && term_signal == 0 && exit_code == 0; }
  // "qemu-img map ...: exit 1: <first line of stderr>"
  std::string describe() const;
};

// Run to completion (killed and reaped on timeout); stdout/stderr captured.
RunResult run_program(const std::vector<std::string>& argv, const RunOptions& options = {});
// Like run_program but throws ToolError when the program does not succeed.
RunResult run_checked(const std::vector<std::string>& argv, const RunOptions& options = {});

// A long-running child (an NBD server, a QMP daemon). Killed (SIGTERM, then SIGKILL) and
// reaped on destruction or kill(); stderr goes to a file in its workspace so a failed
// start can be explained.
class BackgroundProcess {
 public:
  static BackgroundProcess start(const std::vector<std::string>& argv,
                                 const std::filesystem::path& log_file,
                                 const std::filesystem::path& cwd = {});
  BackgroundProcess() = default;
  BackgroundProcess(BackgroundProcess&&) noexcept;
  BackgroundProcess& operator=(BackgroundProcess&&) noexcept;
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  ~BackgroundProcess();

  int pid() const { return pid_; }
  bool running();                 // reaps if it has exited
  // Set once it has exited and was reaped: the exit code, or 128 + signal number.
  std::optional<int> exit_status();
  void kill();                    // SIGTERM, grace period, SIGKILL; then reap
  std::string log_tail() const;   // last lines of its stderr log
  const std::vector<std::string>& argv() const { return argv_; }
  // After a failed request: waits up to `grace` for an aborting server to be gone (it may
  // still be writing its core); empty while it runs, else its last words (the log's last line).
  std::string last_words_if_dead(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

 private:
  int pid_ = -1;
  std::optional<int> status_;
  std::vector<std::string> argv_;
  std::filesystem::path log_file_;
};

// Wait until `ready()` returns true, polling; throws ToolError naming `what` (and the
// process's log tail) on timeout or when `proc` exits first.
void wait_until_ready(BackgroundProcess& proc, const std::string& what,
                      const std::function<bool()>& ready,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

// True when something accepts connections on the unix socket at `path`.
// It connects and hangs up without speaking, which servers log as an error (qemu-nbd:
// "write failed: ... Broken pipe"); unix_socket_listening looks without connecting.
bool unix_socket_accepts(const std::filesystem::path& path);
// True when a socket bound to `path` is listening (read from /proc/net/unix, no connect).
bool unix_socket_listening(const std::filesystem::path& path);

// A private (0700) temporary directory, removed with everything in it on destruction.
// Short paths (unix socket names are limited to 108 bytes).
class Workspace {
 public:
  Workspace();
  ~Workspace();
  Workspace(Workspace&&) noexcept;
  Workspace& operator=(Workspace&&) noexcept;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// On SIGINT/SIGTERM: kill and reap every live BackgroundProcess and remove every live
// Workspace, then die of the same signal. Idempotent; the CLI and live tests call it.
void install_interrupt_cleanup();

}  // namespace chaincheck::impl
