// What the live tests check after a failure path: no child of ours is left over.
#pragma once

#include <sys/types.h>

#include <vector>

namespace chaincheck::impl::testing {

// Pids whose parent is `parent` (default: this process), from /proc/*/stat.
// Zombies count: a child that was killed but not reaped is still a leak.
std::vector<pid_t> children_of(pid_t parent = 0);

// True while /proc/<pid> exists and is not a zombie.
bool process_alive(pid_t pid);

}  // namespace chaincheck::impl::testing
