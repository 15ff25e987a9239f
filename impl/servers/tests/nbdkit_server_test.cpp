// nbdkit: plugins behind filters, on a unix socket only; in front of qemu-nbd via the nbd
// plugin.
#include "impl/servers/nbdkit_server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "impl/nbd/nbd_client.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "impl/servers/tests/live_support.hpp"

namespace chaincheck::impl {
namespace {

using testing::LiveTest;
using Extents = std::vector<RawExtent>;
constexpr uint64_t kMiB = 1 << 20;

NbdClient connect_alloc(const std::filesystem::path& socket) {
  NbdClient c;
  c.request_meta_context("base:allocation");
  c.connect_unix(socket);
  return c;
}

// Inodes of the sockets `pid` holds open.
std::set<std::string> socket_inodes(int pid) {
  std::set<std::string> out;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) out.insert(target.substr(8, target.size() - 9));
  }
  return out;
}

// Inodes of TCP sockets in LISTEN state (st 0A), from /proc/net/tcp and tcp6.
std::set<std::string> tcp_listen_inodes() {
  std::set<std::string> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
      f >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
      if (st == "0A") out.insert(inode);
    }
  }
  return out;
}

class NbdkitServerLive : public LiveTest {};

TEST_F(NbdkitServerLive, MemoryPluginBehindBlocksizeFilter) {
  NbdkitServer server(NbdkitOptions::memory(kMiB).filter("blocksize").param("minblock", "4096"));
  NbdClient c = connect_alloc(server.socket());
  EXPECT_EQ(c.size(), kMiB);
  // The blocksize filter makes unaligned client requests work (read-modify-write), so it
  // advertises no minimum of its own: 1, not minblock.
  BlockSizes b = c.block_sizes();
  EXPECT_EQ(b.minimum, 1u);
  EXPECT_EQ(b.preferred, 4096u);
  EXPECT_EQ(b.maximum, 0xffffffffu);
  auto empty = c.block_status(0, kMiB);
  ASSERT_TRUE(empty.ok()) << empty.error;
  EXPECT_EQ(empty.replies.at(0).extents, (Extents{{kMiB, 3}}));
  c.pwrite(100, std::vector<uint8_t>(10, 1));  // unaligned: the filter widens it to 4 KiB
  auto obs = c.block_status(0, kMiB);
  ASSERT_TRUE(obs.ok()) << obs.error;
  ASSERT_FALSE(obs.replies.at(0).extents.empty());
  EXPECT_EQ(obs.replies.at(0).extents.front().flags, 0u);
  EXPECT_EQ(obs.replies.at(0).covered(), kMiB);
  EXPECT_EQ(c.pread(100, 1), (std::vector<uint8_t>{1}));
}

TEST_F(NbdkitServerLive, BlocksizePolicyAdvertisesAMinimum) {
  NbdkitServer server(NbdkitOptions::memory(kMiB)
                          .filter("blocksize-policy")
                          .param("blocksize-minimum", "4096")
                          .param("blocksize-preferred", "65536")
                          .param("blocksize-maximum", "1M"));
  NbdClient c = connect_alloc(server.socket());
  EXPECT_EQ(c.block_sizes(), (BlockSizes{4096, 65536, kMiB}));
}

TEST_F(NbdkitServerLive, OffsetAndTruncateFiltersOverAFile) {
  Workspace ws;
  testing::make_seed_chain(ws);
  NbdkitServer server(NbdkitOptions::file(ws.file("base.raw"))
                          .filter("truncate")
                          .filter("offset")
                          .param("offset", "65536")
                          .param("truncate", "65536"));
  NbdClient c = connect_alloc(server.socket());
  EXPECT_EQ(c.size(), 65536u);
  EXPECT_EQ(c.pread(0, 1), (std::vector<uint8_t>{66}));  // base.raw's second 64 KiB
  auto obs = c.block_status(0, 65536);
  ASSERT_TRUE(obs.ok()) << obs.error;
  EXPECT_EQ(obs.replies.at(0).extents, (Extents{{65536, 0}}));
}

TEST_F(NbdkitServerLive, CowFilterKeepsTheFileUntouched) {
  Workspace ws;
  testing::make_seed_chain(ws);
  NbdkitServer server(NbdkitOptions::file(ws.file("base.raw")).filter("cow"));
  NbdClient c = connect_alloc(server.socket());
  c.pwrite(0, std::vector<uint8_t>(4096, 'z'));
  EXPECT_EQ(c.pread(0, 1), (std::vector<uint8_t>{'z'}));
  c.disconnect();
  server.stop();
  std::ifstream in(ws.file("base.raw"), std::ios::binary);
  EXPECT_EQ(in.get(), 65);
}

TEST_F(NbdkitServerLive, BlocksizeFilterInFrontOfQemuNbd) {
  Workspace ws;
  testing::make_seed_chain(ws);
  QemuNbdOptions o;
  o.read_only = true;
  o.working_dir = ws.path();
  QemuNbdServer qemu(QemuNbdImage::file("top.qcow2", "qcow2"), o);
  NbdkitServer front(NbdkitOptions::nbd(qemu.socket()).filter("blocksize").param("maxlen", "65536"));
  NbdClient c = connect_alloc(front.socket());
  EXPECT_EQ(c.size(), 262144u);
  auto one = c.block_status(0, 262144);
  ASSERT_TRUE(one.ok()) << one.error;
  EXPECT_EQ(one.replies.at(0).extents, (Extents{{65536, 0}}));  // cut at maxlen
  auto obs = c.block_status_full(0, 262144);
  ASSERT_TRUE(obs.ok()) << obs.error;
  Extents all;
  for (const auto& r : obs.replies) all.insert(all.end(), r.extents.begin(), r.extents.end());
  EXPECT_EQ(all, (Extents{{65536, 0}, {65536, 0}, {65536, 3}, {65536, 3}}));
}

TEST_F(NbdkitServerLive, ListensOnNoTcpSocket) {
  NbdkitServer server(NbdkitOptions::memory(kMiB));
  auto mine = socket_inodes(server.pid());
  ASSERT_FALSE(mine.empty());  // the unix listening socket at least
  for (const auto& inode : tcp_listen_inodes()) EXPECT_EQ(mine.count(inode), 0u) << inode;
}

TEST_F(NbdkitServerLive, BadPluginParameterFailsWithItsLog) {
  try {
    NbdkitServer server(NbdkitOptions::memory(kMiB).param("nosuchkey", "1"));
    FAIL() << "nbdkit accepted an unknown parameter";
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("nosuchkey"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chaincheck::impl
