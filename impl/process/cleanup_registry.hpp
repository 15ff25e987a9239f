// Process-global record of live children and workspaces, so that SIGINT/SIGTERM can kill
// and reap the children and remove the directories before the process dies.
// Internal to chaincheck_process.
#pragma once

#include <sys/types.h>

#include <string>

namespace chaincheck::impl::cleanup {

// Children: every spawned pid is registered until it has been reaped.
void register_pid(pid_t pid);
void unregister_pid(pid_t pid);

// Workspaces: registered while the directory exists.
void register_dir(const std::string& path);
void unregister_dir(const std::string& path);

// How many pids / directories are registered now (tests).
int registered_pids();
int registered_dirs();

// Remove `path` and everything below it using only async-signal-safe calls
// (openat, getdents64, unlinkat). Returns false if anything was left behind.
bool remove_tree_signal_safe(const char* path);

}  // namespace chaincheck::impl::cleanup
