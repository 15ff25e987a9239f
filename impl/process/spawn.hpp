// posix_spawn with explicit stdio, a working directory and no other inherited fds.
// Internal to chaincheck_process.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace chaincheck::impl::spawn {

// Which fds become the child's 0, 1, 2. -1 for stdin means /dev/null.
struct ChildStdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

// Start `argv` (argv[0] an allow-listed name; resolved with locate_program). The child gets
// default signal dispositions and an empty signal mask, and every fd above 2 closed.
// The pid is registered for interrupt cleanup; the caller must reap it and unregister.
// Throws MissingProgram / ToolError.
pid_t spawn_child(const std::vector<std::string>& argv, const ChildStdio& stdio,
                  const std::filesystem::path& cwd);

// waitpid that retries on EINTR; returns the raw status and unregisters the pid.
int reap_blocking(pid_t pid);
// Non-blocking: the raw status if the child has exited (and was reaped now).
bool try_reap(pid_t pid, int& status);

// "qemu-img map -f qcow2 'my file'": argv for messages.
std::string join_for_display(const std::vector<std::string>& argv);

}  // namespace chaincheck::impl::spawn
