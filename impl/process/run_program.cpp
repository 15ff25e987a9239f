// run_program: one child, stdout/stderr captured through pipes, a hard deadline.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "impl/process/process.hpp"
#include "impl/process/spawn.hpp"

namespace chaincheck::impl {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the fd it owns; -1 when closed.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  bool open() const { return fd >= 0; }
};

void make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw ToolError(std::string("pipe2: ") + std::strerror(errno));
  read_end.fd = p[0];
  write_end.fd = p[1];
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Read what is available now; closes `fd` at EOF or on error.
void drain(Fd& fd, std::string& into) {
  char buf[65536];
  while (fd.open()) {
    ssize_t n = ::read(fd.fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      fd.close();
    }
  }
}

// A pidfd lets poll() wake when the child exits; without one we poll in short steps.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  (void)pid;
  return -1;
}

void record_status(RunResult& r, int status) {
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.term_signal = WTERMSIG(status);
  }
}

std::string first_line(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

std::string RunResult::describe() const {
  std::string cmd = spawn::join_for_display(argv);
  if (timed_out) return cmd + ": timed out after " + std::to_string(timeout.count()) + " ms (killed)";
  if (term_signal != 0)
    return cmd + ": killed by signal " + std::to_string(term_signal) + " (" + strsignal(term_signal) + ")";
  if (exit_code == 0) return cmd + ": ok";
  std::string why = first_line(err);
  if (why.empty()) why = first_line(out);
  return cmd + ": exit " + std::to_string(exit_code) + (why.empty() ? "" : ": " + why);
}

RunResult run_program(const std::vector<std::string>& argv, const RunOptions& options) {
  RunResult r;
  r.argv = argv;
  r.timeout = options.timeout;

  Fd out_read, out_write, err_read, err_write, in_parent, in_child;
  make_pipe(out_read, out_write);
  make_pipe(err_read, err_write);
  if (options.stdin_data) {
    // A socket rather than a pipe: send(MSG_NOSIGNAL) cannot raise SIGPIPE in us.
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      throw ToolError(std::string("socketpair: ") + std::strerror(errno));
    in_parent.fd = sv[0];
    in_child.fd = sv[1];
  }

  const pid_t pid = spawn::spawn_child(argv, {in_child.fd, out_write.fd, err_write.fd}, options.cwd);
  out_write.close();
  err_write.close();
  in_child.close();
  Fd pidfd(open_pidfd(pid));

  set_nonblocking(out_read.fd);
  set_nonblocking(err_read.fd);
  size_t written = 0;
  if (in_parent.open()) {
    set_nonblocking(in_parent.fd);
    shutdown(in_parent.fd, SHUT_RD);
    if (options.stdin_data->empty()) in_parent.close();
  }

  const auto deadline = Clock::now() + options.timeout;
  bool reaped = false;
  int status = 0;
  for (;;) {
    if (!reaped && spawn::try_reap(pid, status)) reaped = true;
    if (reaped) {
      // Whatever the child wrote is in the pipes already; a grandchild holding them open
      // must not keep us here.
      drain(out_read, r.out);
      drain(err_read, r.err);
      break;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      ::kill(pid, SIGKILL);
      status = spawn::reap_blocking(pid);
      reaped = true;
      r.timed_out = true;
      drain(out_read, r.out);
      drain(err_read, r.err);
      break;
    }

    pollfd fds[4];
    nfds_t n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out_read.open()) fds[out_i = n++] = {out_read.fd, POLLIN, 0};
    if (err_read.open()) fds[err_i = n++] = {err_read.fd, POLLIN, 0};
    if (in_parent.open()) fds[in_i = n++] = {in_parent.fd, POLLOUT, 0};
    if (pidfd.open()) fds[n++] = {pidfd.fd, POLLIN, 0};
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    // Without a pidfd, or with both pipes closed, only polling waitpid notices the exit.
    if (!pidfd.open() || (!out_read.open() && !err_read.open())) wait_ms = std::min<long long>(wait_ms, 10);
    int rc = poll(fds, n, static_cast<int>(std::min<long long>(wait_ms, 1 << 30)));
    if (rc < 0 && errno != EINTR) throw ToolError(std::string("poll: ") + std::strerror(errno));
    if (rc <= 0) continue;
    if (out_i >= 0 && fds[out_i].revents) drain(out_read, r.out);
    if (err_i >= 0 && fds[err_i].revents) drain(err_read, r.err);
    if (in_i >= 0 && fds[in_i].revents) {
      const std::string& data = *options.stdin_data;
      while (written < data.size()) {
        ssize_t w = send(in_parent.fd, data.data() + written, data.size() - written, MSG_NOSIGNAL);
        if (w > 0) {
          written += static_cast<size_t>(w);
        } else if (w < 0 && errno == EINTR) {
          continue;
        } else {
          if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          written = data.size();  // the child stopped reading: drop the rest
        }
      }
      if (written >= data.size()) in_parent.close();
    }
  }
  record_status(r, status);
  return r;
}

RunResult run_checked(const std::vector<std::string>& argv, const RunOptions& options) {
  RunResult r = run_program(argv, options);
  if (!r.ok()) throw ToolError(r.describe());
  return r;
}

}  // namespace chaincheck::impl
