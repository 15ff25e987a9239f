// BackgroundProcess: start, readiness, logs, kill and reap.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "impl/process/process.hpp"
#include "impl/process/tests/child_processes.hpp"

namespace chaincheck::impl {
namespace {

using namespace std::chrono_literals;
using testing::children_of;
using testing::process_alive;

BackgroundProcess start_nbd_daemon(const Workspace& ws, const std::string& socket) {
  return BackgroundProcess::start(
      {"qemu-storage-daemon", "--nbd-server", "addr.type=unix,addr.path=" + socket}, ws.file("qsd.log"),
      ws.path());
}

TEST(BackgroundProcess, KillTerminatesAndReaps) {
  Workspace ws;
  BackgroundProcess p = BackgroundProcess::start({"qemu-storage-daemon"}, ws.file("qsd.log"));
  const pid_t pid = p.pid();
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(p.running());
  EXPECT_FALSE(p.exit_status().has_value());
  p.kill();
  EXPECT_FALSE(p.running());
  ASSERT_TRUE(p.exit_status().has_value());
  EXPECT_FALSE(process_alive(pid));
  EXPECT_TRUE(children_of().empty());
  p.kill();  // idempotent
}

TEST(BackgroundProcess, DestructorKillsAndReaps) {
  pid_t pid = -1;
  {
    Workspace ws;
    BackgroundProcess p = BackgroundProcess::start({"qemu-storage-daemon"}, ws.file("qsd.log"));
    pid = p.pid();
    ASSERT_TRUE(process_alive(pid));
  }
  EXPECT_FALSE(process_alive(pid));
  EXPECT_TRUE(children_of().empty());
}

TEST(BackgroundProcess, MoveTransfersOwnership) {
  Workspace ws;
  BackgroundProcess a = BackgroundProcess::start({"qemu-storage-daemon"}, ws.file("qsd.log"));
  const pid_t pid = a.pid();
  BackgroundProcess b(std::move(a));
  EXPECT_EQ(a.pid(), -1);
  EXPECT_EQ(b.pid(), pid);
  EXPECT_TRUE(b.running());
  BackgroundProcess c;
  c = std::move(b);
  EXPECT_TRUE(c.running());
  c = BackgroundProcess();  // assigning over a live process kills it
  EXPECT_FALSE(process_alive(pid));
  EXPECT_TRUE(children_of().empty());
}

TEST(BackgroundProcess, ExitBeforeReadyReportsTheLog) {
  Workspace ws;
  BackgroundProcess p =
      BackgroundProcess::start({"qemu-storage-daemon", "--blockdev", "driver=nosuchdriver,node-name=x"},
                               ws.file("qsd.log"));
  try {
    wait_until_ready(p, "storage daemon", [] { return false; }, 5s);
    FAIL() << "no error";
  } catch (const ToolError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("storage daemon exited (status 1) before it was ready"), std::string::npos) << msg;
    EXPECT_NE(msg.find("nosuchdriver"), std::string::npos) << msg;
  }
  EXPECT_EQ(p.exit_status(), 1);
  EXPECT_NE(p.log_tail().find("nosuchdriver"), std::string::npos) << p.log_tail();
}

TEST(BackgroundProcess, LastWordsAreTheLogsLastLineOnceItIsDead) {
  Workspace ws;
  BackgroundProcess dead =
      BackgroundProcess::start({"qemu-storage-daemon", "--blockdev", "driver=nosuchdriver,node-name=x"},
                               ws.file("dead.log"));
  const std::string words = dead.last_words_if_dead(5s);
  EXPECT_NE(words.find("nosuchdriver"), std::string::npos) << words;
  EXPECT_EQ(words.find('\n'), std::string::npos) << words;

  BackgroundProcess alive = BackgroundProcess::start({"qemu-storage-daemon"}, ws.file("alive.log"));
  EXPECT_EQ(alive.last_words_if_dead(100ms), "");  // still serving: no last words
  EXPECT_TRUE(alive.running());
}

TEST(BackgroundProcess, WaitUntilReadyTimesOutNamingWhat) {
  Workspace ws;
  BackgroundProcess p = BackgroundProcess::start({"qemu-storage-daemon"}, ws.file("qsd.log"));
  const auto start = std::chrono::steady_clock::now();
  try {
    wait_until_ready(p, "idle daemon", [] { return false; }, 150ms);
    FAIL() << "no error";
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("idle daemon not ready after 150 ms"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_TRUE(p.running());  // the caller decides what to do with it
}

TEST(UnixSocket, ListeningAndAcceptingOnceTheServerIsUp) {
  Workspace ws;
  const auto sock = ws.file("nbd.sock");
  EXPECT_FALSE(unix_socket_listening(sock));
  EXPECT_FALSE(unix_socket_accepts(sock));
  BackgroundProcess p = start_nbd_daemon(ws, sock.string());
  wait_until_ready(p, "qemu-storage-daemon", [&] { return unix_socket_listening(sock); });
  EXPECT_TRUE(unix_socket_accepts(sock));
  p.kill();
  EXPECT_FALSE(unix_socket_accepts(sock));
  EXPECT_FALSE(unix_socket_listening(sock));
}

TEST(UnixSocket, ListeningCheckFollowsRelativeBindPaths) {
  // The daemon binds "rel.sock" relative to its cwd; /proc/net/unix shows it that way.
  Workspace ws;
  BackgroundProcess p = start_nbd_daemon(ws, "rel.sock");
  wait_until_ready(p, "qemu-storage-daemon", [&] { return unix_socket_listening(ws.file("rel.sock")); });
  EXPECT_TRUE(unix_socket_accepts(ws.file("rel.sock")));
  EXPECT_FALSE(unix_socket_listening(ws.file("other.sock")));
}

TEST(UnixSocket, TooLongPathIsNotAccepting) {
  EXPECT_FALSE(unix_socket_accepts(std::string(200, 'x')));
}

}  // namespace
}  // namespace chaincheck::impl
