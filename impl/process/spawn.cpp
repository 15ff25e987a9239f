#include "impl/process/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "impl/process/cleanup_registry.hpp"
#include "impl/process/process.hpp"

extern char** environ;

namespace chaincheck::impl::spawn {
namespace {

// RAII for the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

void check(int rc, const char* what) {
  if (rc != 0) throw ToolError(std::string("posix_spawn setup failed (") + what + "): " + std::strerror(rc));
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-_./=:,+@%", c))) return true;
  }
  return false;
}

}  // namespace

pid_t spawn_child(const std::vector<std::string>& argv, const ChildStdio& stdio,
                  const std::filesystem::path& cwd) {
  if (argv.empty()) throw ToolError("cannot run an empty command");
  const std::filesystem::path exe = locate_program(argv[0]);

  SpawnSetup s;
  if (stdio.in >= 0)
    check(posix_spawn_file_actions_adddup2(&s.actions, stdio.in, 0), "stdin");
  else
    check(posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0), "stdin");
  check(posix_spawn_file_actions_adddup2(&s.actions, stdio.out, 1), "stdout");
  check(posix_spawn_file_actions_adddup2(&s.actions, stdio.err, 2), "stderr");
  // Nothing of ours leaks into the child, whatever forgot O_CLOEXEC.
  check(posix_spawn_file_actions_addclosefrom_np(&s.actions, 3), "closefrom");
  if (!cwd.empty()) check(posix_spawn_file_actions_addchdir_np(&s.actions, cwd.c_str()), "chdir");

  // Default dispositions and an empty mask: we may ignore SIGPIPE or block signals,
  // the tools must not inherit that.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  check(posix_spawnattr_setsigdefault(&s.attr, &all), "sigdefault");
  check(posix_spawnattr_setsigmask(&s.attr, &none), "sigmask");
  check(posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), "flags");

  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, exe.c_str(), &s.actions, &s.attr, cargv.data(), environ);
  if (rc != 0) {
    if (rc == ENOENT && !cwd.empty() && !std::filesystem::is_directory(cwd))
      throw ToolError("cannot run " + argv[0] + ": working directory " + cwd.string() + " does not exist");
    throw ToolError("cannot run " + exe.string() + ": " + std::strerror(rc));
  }
  cleanup::register_pid(pid);
  return pid;
}

int reap_blocking(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      status = 0;
      break;
    }
  }
  cleanup::unregister_pid(pid);
  return status;
}

bool try_reap(pid_t pid, int& status) {
  int st = 0;
  pid_t r;
  do {
    r = waitpid(pid, &st, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  cleanup::unregister_pid(pid);
  status = r == pid ? st : 0;  // ECHILD: someone else reaped it (an interrupt handler)
  return true;
}

std::string join_for_display(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    if (!needs_quotes(a)) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) {
      if (c == '\'')
        out += "'\\''";
      else
        out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace chaincheck::impl::spawn
