// SIGINT/SIGTERM: children killed and reaped, workspaces removed, then death by the signal.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "impl/process/process.hpp"
#include "impl/process/tests/child_processes.hpp"

namespace chaincheck::impl {
namespace {

using testing::process_alive;

// The doomed child reports its server's pid and its workspace through a pipe.
struct Report {
  pid_t server = -1;
  std::string workspace;
};

Report read_report(int fd) {
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  Report r;
  std::istringstream in(text);
  in >> r.server >> r.workspace;
  return r;
}

[[noreturn]] void start_then_receive(int report_fd, int sig) {
  install_interrupt_cleanup();
  install_interrupt_cleanup();  // idempotent
  static Workspace ws;           // never destroyed normally: only the handler can remove it
  static BackgroundProcess server = BackgroundProcess::start({"qemu-storage-daemon"}, ws.file("qsd.log"));
  std::ofstream(ws.file("data")) << "x";
  const std::string report = std::to_string(server.pid()) + " " + ws.path().string() + "\n";
  (void)!::write(report_fd, report.data(), report.size());
  ::close(report_fd);
  ::raise(sig);
  std::_Exit(99);  // not reached when the handler re-raises
}

void expect_cleanup_on(int sig) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EXIT(start_then_receive(fds[1], sig), ::testing::KilledBySignal(sig), "");
  ::close(fds[1]);
  Report r = read_report(fds[0]);
  ::close(fds[0]);
  ASSERT_GT(r.server, 0);
  ASSERT_FALSE(r.workspace.empty());
  // The grandchild was killed and reaped by the dying child, not orphaned.
  EXPECT_FALSE(process_alive(r.server));
  EXPECT_FALSE(std::filesystem::exists(r.workspace)) << r.workspace;
}

TEST(InterruptCleanup, SigtermKillsChildrenRemovesWorkspacesAndDies) { expect_cleanup_on(SIGTERM); }

TEST(InterruptCleanup, SigintKillsChildrenRemovesWorkspacesAndDies) { expect_cleanup_on(SIGINT); }

}  // namespace
}  // namespace chaincheck::impl
