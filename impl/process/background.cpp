// Long-running children (servers, daemons) and waiting for them to become ready.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>
#include <thread>

#include "impl/process/process.hpp"
#include "impl/process/spawn.hpp"

namespace chaincheck::impl {
namespace {

using Clock = std::chrono::steady_clock;

// Shell convention: the exit code, or 128 + the signal that ended it.
int shell_status(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return -1;
}

}  // namespace

BackgroundProcess BackgroundProcess::start(const std::vector<std::string>& argv,
                                           const std::filesystem::path& log_file,
                                           const std::filesystem::path& cwd) {
  int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0)
    throw ToolError("cannot open log file " + log_file.string() + ": " + std::strerror(errno));
  BackgroundProcess p;
  try {
    p.pid_ = spawn::spawn_child(argv, {-1, log, log}, cwd);
  } catch (...) {
    ::close(log);
    throw;
  }
  ::close(log);
  p.argv_ = argv;
  p.log_file_ = log_file;
  return p;
}

BackgroundProcess::BackgroundProcess(BackgroundProcess&& o) noexcept
    : pid_(o.pid_), status_(o.status_), argv_(std::move(o.argv_)), log_file_(std::move(o.log_file_)) {
  o.pid_ = -1;
  o.status_.reset();
}

BackgroundProcess& BackgroundProcess::operator=(BackgroundProcess&& o) noexcept {
  if (this != &o) {
    kill();
    pid_ = o.pid_;
    status_ = o.status_;
    argv_ = std::move(o.argv_);
    log_file_ = std::move(o.log_file_);
    o.pid_ = -1;
    o.status_.reset();
  }
  return *this;
}

BackgroundProcess::~BackgroundProcess() { kill(); }

bool BackgroundProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int raw = 0;
  if (!spawn::try_reap(pid_, raw)) return true;
  status_ = shell_status(raw);
  return false;
}

std::optional<int> BackgroundProcess::exit_status() {
  running();
  return status_;
}

void BackgroundProcess::kill() {
  if (pid_ <= 0 || status_ || !running()) return;
  ::kill(pid_, SIGTERM);
  // A grace period lets servers remove their sockets and flush their logs.
  const auto give_up = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < give_up) {
    if (!running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  status_ = shell_status(spawn::reap_blocking(pid_));
}

std::string BackgroundProcess::log_tail() const {
  constexpr size_t kLines = 20;
  std::ifstream in(log_file_);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > kLines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += l + "\n";
  return out;
}

void wait_until_ready(BackgroundProcess& proc, const std::string& what,
                      const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    if (ready()) return;
    if (!proc.running()) {
      auto st = proc.exit_status();
      throw ToolError(what + " exited (status " + (st ? std::to_string(*st) : "?") +
                      ") before it was ready: " + proc.log_tail());
    }
    if (Clock::now() >= deadline)
      throw ToolError(what + " not ready after " + std::to_string(timeout.count()) +
                      " ms: " + proc.log_tail());
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

bool unix_socket_accepts(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  ::close(fd);
  return rc == 0;
}

bool unix_socket_listening(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) return false;
  // Columns: Num RefCount Protocol Flags Type St Inode Path. Flags 00010000 is
  // __SO_ACCEPTCON: the socket is listening.
  std::ifstream in("/proc/net/unix");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    char num[32], flags[16], path_buf[512] = {0};
    unsigned refcount = 0, protocol = 0, type = 0, state = 0;
    unsigned long inode = 0;
    int fields = std::sscanf(line.c_str(), "%31s %x %x %15s %x %x %lu %511s", num, &refcount, &protocol,
                             flags, &type, &state, &inode, path_buf);
    if (fields < 8) continue;
    if (std::strtoul(flags, nullptr, 16) != 0x10000) continue;
    const std::string bound = path_buf;
    // The kernel shows the path exactly as passed to bind(), which may be relative.
    if (bound == abs.string() || bound == path.string()) return true;
    if (!bound.empty() && bound[0] != '/') {
      const std::string suffix = "/" + bound;
      const std::string a = abs.string();
      if (a.size() > suffix.size() && a.compare(a.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
    }
  }
  return false;
}

std::string BackgroundProcess::last_words_if_dead(std::chrono::milliseconds grace) {
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (running()) return {};
  std::string text = log_tail();
  std::size_t end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "exited (status " + std::to_string(exit_status().value_or(-1)) + ")";
  std::size_t start = text.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, end + 1 - start);
}

}  // namespace chaincheck::impl
