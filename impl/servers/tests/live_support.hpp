// Shared by the live tests of impl/nbd and impl/servers: the seed chain built with the
// real qemu tools, and the leak checks every live test ends with.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "impl/process/process.hpp"

namespace chaincheck::impl::testing {

// Children of this process still present (running or zombie), from /proc/*/stat.
inline std::vector<int> child_pids() {
  std::vector<int> out;
  const int self = static_cast<int>(::getpid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; cut at the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) out.push_back(std::stoi(name));
  }
  return out;
}

// Every live test: no child left behind, however it ended.
class LiveTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(child_pids(), std::vector<int>{}) << "child processes left"; }
};

// The seed chain: base.raw (A|B|C|unwritten, 64k each) under top.qcow2 (E at 64k, zeroes
// at 128k). Built in `ws` with qemu-img and qemu-io.
inline void make_seed_chain(const Workspace& ws) {
  RunOptions in_ws;
  in_ws.cwd = ws.path();
  run_checked({"qemu-img", "create", "-q", "-f", "raw", "base.raw", "262144"}, in_ws);
  run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2"}, in_ws);
  run_checked({"qemu-io", "-f", "raw", "-c", "write -P 65 0 64k", "-c", "write -P 66 64k 64k", "-c",
               "write -P 67 128k 64k", "base.raw"},
              in_ws);
  run_checked({"qemu-io", "-f", "qcow2", "-c", "write -P 69 64k 64k", "-c", "write -z 128k 64k", "top.qcow2"},
              in_ws);
}

}  // namespace chaincheck::impl::testing
