#include "impl/process/cleanup_registry.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "impl/process/process.hpp"

namespace chaincheck::impl {
namespace cleanup {
namespace {

// Fixed-size slots: the signal handler reads them without locking or allocating.
constexpr int kPidSlots = 512;
constexpr int kDirSlots = 128;

std::atomic<pid_t> g_pids[kPidSlots];  // 0: free slot

struct DirSlot {
  std::atomic<bool> used{false};
  char path[PATH_MAX];
};
DirSlot g_dirs[kDirSlots];

std::mutex g_mutex;  // serialises writers; the handler only reads

// The kernel's record layout for getdents64 (glibc does not export it portably).
struct LinuxDirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

bool is_dot_or_dotdot(const char* name) {
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

// Empty the directory open as `dirfd`. Rewinds and rescans until a pass finds nothing,
// because removing entries while reading the same stream may skip some.
bool empty_directory(int dirfd, int depth) {
  if (depth > 32) return false;
  alignas(8) char buf[2048];
  for (int pass = 0; pass < 64; ++pass) {
    if (lseek(dirfd, 0, SEEK_SET) < 0) return false;
    bool found = false;
    bool progress = false;
    for (;;) {
      long n = syscall(SYS_getdents64, dirfd, buf, sizeof buf);
      if (n < 0) return false;
      if (n == 0) break;
      for (long pos = 0; pos < n;) {
        auto* d = reinterpret_cast<LinuxDirent64*>(buf + pos);
        pos += d->d_reclen;
        if (is_dot_or_dotdot(d->d_name)) continue;
        found = true;
        if (unlinkat(dirfd, d->d_name, 0) == 0) {
          progress = true;
          continue;
        }
        if (errno != EISDIR && errno != EPERM) continue;
        int sub = openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) continue;
        empty_directory(sub, depth + 1);
        close(sub);
        if (unlinkat(dirfd, d->d_name, AT_REMOVEDIR) == 0) progress = true;
      }
    }
    if (!found) return true;
    if (!progress) return false;
  }
  return false;
}

void on_interrupt(int sig) {
  int saved_errno = errno;
  // Kill everything first, then reap, so slow children die in parallel.
  for (auto& slot : g_pids) {
    pid_t pid = slot.load(std::memory_order_acquire);
    if (pid > 0) ::kill(pid, SIGKILL);
  }
  for (auto& slot : g_pids) {
    pid_t pid = slot.load(std::memory_order_acquire);
    if (pid > 0) {
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  for (auto& slot : g_dirs) {
    if (slot.used.load(std::memory_order_acquire)) remove_tree_signal_safe(slot.path);
  }
  // Die of the same signal, as if we had never handled it.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, sig);
  sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
  raise(sig);
  errno = saved_errno;
}

}  // namespace

void register_pid(pid_t pid) {
  std::lock_guard lock(g_mutex);
  for (auto& slot : g_pids) {
    if (slot.load(std::memory_order_relaxed) == 0) {
      slot.store(pid, std::memory_order_release);
      return;
    }
  }
  // All slots taken: the child is still reaped normally, just not on interrupt.
}

void unregister_pid(pid_t pid) {
  std::lock_guard lock(g_mutex);
  for (auto& slot : g_pids) {
    if (slot.load(std::memory_order_relaxed) == pid) {
      slot.store(0, std::memory_order_release);
      return;
    }
  }
}

void register_dir(const std::string& path) {
  if (path.empty() || path.size() >= PATH_MAX) return;
  std::lock_guard lock(g_mutex);
  for (auto& slot : g_dirs) {
    if (!slot.used.load(std::memory_order_relaxed)) {
      std::memcpy(slot.path, path.c_str(), path.size() + 1);
      slot.used.store(true, std::memory_order_release);
      return;
    }
  }
}

void unregister_dir(const std::string& path) {
  std::lock_guard lock(g_mutex);
  for (auto& slot : g_dirs) {
    if (slot.used.load(std::memory_order_relaxed) && path == slot.path) {
      slot.used.store(false, std::memory_order_release);
      return;
    }
  }
}

int registered_pids() {
  std::lock_guard lock(g_mutex);
  int n = 0;
  for (auto& slot : g_pids) n += slot.load(std::memory_order_relaxed) != 0;
  return n;
}

int registered_dirs() {
  std::lock_guard lock(g_mutex);
  int n = 0;
  for (auto& slot : g_dirs) n += slot.used.load(std::memory_order_relaxed);
  return n;
}

bool remove_tree_signal_safe(const char* path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return unlink(path) == 0 || errno == ENOENT;
  bool emptied = empty_directory(fd, 0);
  close(fd);
  return rmdir(path) == 0 && emptied;
}

}  // namespace cleanup

void install_interrupt_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      sigaction(sig, nullptr, &old);
      if (old.sa_handler == SIG_IGN) continue;  // e.g. under nohup: stay ignored
      struct sigaction sa {};
      sa.sa_handler = cleanup::on_interrupt;
      sigfillset(&sa.sa_mask);  // no nested handlers while cleaning up
      sigaction(sig, &sa, nullptr);
    }
  });
}

}  // namespace chaincheck::impl
