// qemu-nbd start-up and failure paths: ready only when it really serves, a clear error with
// its log when it cannot start, and nothing left behind either way.
#include "impl/servers/qemu_nbd_server.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>

#include "impl/nbd/nbd_client.hpp"
#include "impl/servers/tests/live_support.hpp"

namespace chaincheck::impl {
namespace {

using testing::LiveTest;

class QemuNbdServerLive : public LiveTest {};

TEST_F(QemuNbdServerLive, ServesManyConnectionsAndCleansUp) {
  Workspace ws;
  testing::make_seed_chain(ws);
  std::filesystem::path runtime_dir;
  {
    QemuNbdOptions o;
    o.read_only = true;
    o.working_dir = ws.path();
    QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), o);
    runtime_dir = server.socket().parent_path();
    EXPECT_TRUE(std::filesystem::exists(server.socket()));
    for (int i = 0; i < 3; ++i) {  // persistent (-t): survives clients coming and going
      NbdClient c;
      c.request_meta_context("base:allocation");
      c.connect_unix(server.socket());
      EXPECT_EQ(c.size(), 262144u);
      c.disconnect();
    }
    NbdClient a, b;  // and takes more than one client at a time
    a.connect_unix(server.socket());
    b.connect_unix(server.socket());
    EXPECT_TRUE(server.running());
  }
  EXPECT_FALSE(std::filesystem::exists(runtime_dir));
}

TEST_F(QemuNbdServerLive, MissingImageFailsWithItsLogTail) {
  Workspace ws;
  QemuNbdOptions o;
  o.working_dir = ws.path();
  try {
    QemuNbdServer server(QemuNbdImage::file("nosuch.qcow2", "qcow2"), o);
    FAIL() << "qemu-nbd started on a missing image";
  } catch (const ToolError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("qemu-nbd"), std::string::npos) << what;
    // qemu-nbd's own complaint, from its log.
    EXPECT_NE(what.find("Could not open"), std::string::npos) << what;
  }
}

TEST_F(QemuNbdServerLive, ServerThatNeverServesTimesOut) {
  // qemu-nbd listens first, then blocks opening a FIFO read-only (no writer ever comes):
  // connect() succeeds but the NBD greeting never does.
  Workspace ws;
  ASSERT_EQ(::mkfifo(ws.file("fifo").c_str(), 0600), 0);
  QemuNbdOptions o;
  o.read_only = true;
  o.working_dir = ws.path();
  o.ready_timeout = std::chrono::milliseconds(400);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(QemuNbdServer(QemuNbdImage::file("fifo", "raw"), o), ToolError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(QemuNbdServerLive, StopEndsTheServer) {
  Workspace ws;
  testing::make_seed_chain(ws);
  QemuNbdOptions o;
  o.working_dir = ws.path();
  o.snapshot = true;
  QemuNbdServer server(QemuNbdImage::file("base.raw", "raw"), o);
  server.stop();
  EXPECT_FALSE(server.running());
  NbdClient c;
  EXPECT_THROW(c.connect_unix(server.socket()), ToolError);
}

}  // namespace
}  // namespace chaincheck::impl
