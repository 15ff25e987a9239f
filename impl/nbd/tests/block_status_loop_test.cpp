// block_status_full against servers that stop short: nbdkit's blocksize filter caps every
// extents request at maxlen, so one reply never covers the whole range.
#include <gtest/gtest.h>
#include <libnbd.h>

#include "impl/nbd/nbd_client.hpp"
#include "impl/servers/nbdkit_server.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "impl/servers/tests/live_support.hpp"

namespace chaincheck::impl {
namespace {

using testing::LiveTest;
using Extents = std::vector<RawExtent>;

constexpr uint64_t kMiB = 1 << 20;

NbdkitOptions capped_memory_disk() {
  return NbdkitOptions::memory(kMiB).filter("blocksize").param("minblock", "4096").param("maxlen", "65536");
}

NbdClient connect_alloc(const std::filesystem::path& socket) {
  NbdClient c;
  c.request_meta_context("base:allocation");
  c.connect_unix(socket);
  return c;
}

class BlockStatusLoop : public LiveTest {};

TEST_F(BlockStatusLoop, SingleRequestStopsShortAtMaxlen) {
  NbdkitServer server(capped_memory_disk());
  NbdClient c = connect_alloc(server.socket());
  auto obs = c.block_status(0, kMiB);
  ASSERT_TRUE(obs.ok()) << obs.error;
  ASSERT_EQ(obs.replies.size(), 1u);
  EXPECT_EQ(obs.replies[0].extents, (Extents{{65536, 3}}));
}

TEST_F(BlockStatusLoop, FullCoverageContinuesWhereTheReplyStopped) {
  NbdkitServer server(capped_memory_disk());
  NbdClient c = connect_alloc(server.socket());
  c.pwrite(200000, std::vector<uint8_t>(100, 'x'));
  auto obs = c.block_status_full(0, kMiB);
  ASSERT_TRUE(obs.ok()) << obs.error;
  ASSERT_EQ(obs.replies.size(), 16u);  // 1 MiB in 64 KiB steps
  uint64_t expected_offset = 0;
  bool saw_data = false;
  for (const auto& r : obs.replies) {
    EXPECT_EQ(r.offset, expected_offset);
    EXPECT_EQ(r.covered(), 65536u);
    for (const auto& e : r.extents) saw_data |= (e.flags & LIBNBD_STATE_HOLE) == 0;
    expected_offset += r.covered();
  }
  EXPECT_TRUE(saw_data);
}

TEST_F(BlockStatusLoop, UnalignedRequestIsAnsweredToTheNextBlockBoundary) {
  NbdkitServer server(capped_memory_disk());
  NbdClient c = connect_alloc(server.socket());
  auto obs = c.block_status(1000, 1001);
  ASSERT_TRUE(obs.ok()) << obs.error;
  ASSERT_EQ(obs.replies.size(), 1u);
  EXPECT_EQ(obs.replies[0].offset, 1000u);
  // The filter rounds to minblock: the extent runs past the request to 4096.
  EXPECT_EQ(obs.replies[0].extents, (Extents{{3096, 3}}));
}

TEST_F(BlockStatusLoop, ReqOneLoopAdvancesByTheShortestContext) {
  Workspace ws;
  testing::make_seed_chain(ws);
  QemuNbdOptions o;
  o.read_only = true;
  o.allocation_depth = true;
  o.working_dir = ws.path();
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), o);
  NbdClient c;
  c.request_meta_context("base:allocation");
  c.request_meta_context("qemu:allocation-depth");
  c.connect_unix(server.socket());
  BlockStatusLoopOptions one;
  one.flags = LIBNBD_CMD_FLAG_REQ_ONE;
  auto obs = c.block_status_full(0, 262144, one);
  ASSERT_TRUE(obs.ok()) << obs.error;
  // Requests at 0, 65536 (depth ended first), 131072 (alloc ended), 196608 (depth ended).
  std::vector<uint64_t> request_offsets;
  for (const auto& r : obs.replies)
    if (r.context == "base:allocation") request_offsets.push_back(r.offset);
  EXPECT_EQ(request_offsets, (std::vector<uint64_t>{0, 65536, 131072, 196608}));
  for (const auto& r : obs.replies) EXPECT_EQ(r.extents.size(), 1u);
}

TEST_F(BlockStatusLoop, NoNegotiatedContextIsAnObservedError) {
  NbdkitServer server(NbdkitOptions::memory(kMiB));
  NbdClient c;
  c.connect_unix(server.socket());
  auto obs = c.block_status(0, 4096);
  EXPECT_FALSE(obs.ok());
  EXPECT_NE(obs.error.find("nbd_block_status"), std::string::npos) << obs.error;
  EXPECT_FALSE(c.block_status_full(0, 4096).ok());
  EXPECT_TRUE(c.connected());
}

}  // namespace
}  // namespace chaincheck::impl
