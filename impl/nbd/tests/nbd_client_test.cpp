// NbdClient against real qemu-nbd: raw block-status replies of the seed chain, negotiation,
// export facts, data commands, and a server that dies under the client.
#include "impl/nbd/nbd_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libnbd.h>
#include <signal.h>

#include "impl/servers/qemu_nbd_server.hpp"
#include "impl/servers/tests/live_support.hpp"

namespace chaincheck::impl {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::LiveTest;
using testing::make_seed_chain;
using ::testing::Not;

constexpr uint64_t kSeedSize = 262144;
const char* const kAlloc = "base:allocation";
const char* const kDepth = "qemu:allocation-depth";

struct Seed {
  Workspace ws;
  Seed() { make_seed_chain(ws); }
  QemuNbdOptions options(bool read_only = true) const {
    QemuNbdOptions o;
    o.read_only = read_only;
    o.allocation_depth = true;
    o.working_dir = ws.path();
    return o;
  }
};

NbdClient connect_with(const QemuNbdServer& server, const std::vector<std::string>& contexts) {
  NbdClient c;
  for (const auto& ctx : contexts) c.request_meta_context(ctx);
  c.connect_unix(server.socket());
  return c;
}

using Extents = std::vector<RawExtent>;

class NbdClientLive : public LiveTest {};

TEST_F(NbdClientLive, SeedChainRawRepliesOverQemuNbd) {
  Seed seed;
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), seed.options());
  NbdClient c = connect_with(server, {kAlloc, kDepth});
  auto obs = c.block_status(0, kSeedSize);
  ASSERT_TRUE(obs.ok()) << obs.error;
  EXPECT_EQ(obs.offset, 0u);
  EXPECT_EQ(obs.count, kSeedSize);
  ASSERT_EQ(obs.replies.size(), 2u);  // exactly one chunk per negotiated context
  auto alloc = obs.replies_for(kAlloc);
  auto depth = obs.replies_for(kDepth);
  ASSERT_EQ(alloc.size(), 1u);
  ASSERT_EQ(depth.size(), 1u);
  EXPECT_EQ(alloc[0].offset, 0u);
  EXPECT_EQ(alloc[0].extents, (Extents{{131072, 0}, {131072, 3}}));
  EXPECT_EQ(depth[0].offset, 0u);
  EXPECT_EQ(depth[0].extents, (Extents{{65536, 2}, {131072, 1}, {65536, 2}}));
}

TEST_F(NbdClientLive, SeedTopWithoutBackingViaJsonFilename) {
  Seed seed;
  nlohmann::json graph = {
      {"driver", "qcow2"}, {"backing", nullptr}, {"file", {{"driver", "file"}, {"filename", "top.qcow2"}}}};
  QemuNbdServer server(QemuNbdImage::json(graph), seed.options());
  NbdClient c = connect_with(server, {kAlloc, kDepth});
  auto obs = c.block_status_full(0, kSeedSize);
  ASSERT_TRUE(obs.ok()) << obs.error;
  ASSERT_EQ(obs.replies.size(), 2u);
  EXPECT_EQ(obs.replies_for(kDepth).at(0).extents, (Extents{{65536, 0}, {131072, 1}, {65536, 0}}));
  EXPECT_EQ(obs.replies_for(kAlloc).at(0).extents, (Extents{{65536, 3}, {65536, 0}, {131072, 3}}));
}

TEST_F(NbdClientLive, ImageOptsStringOpensTheSameGraph) {
  Seed seed;
  QemuNbdServer server(QemuNbdImage::image_opts("driver=qcow2,file.driver=file,file.filename=top.qcow2"),
                       seed.options());
  NbdClient c = connect_with(server, {kDepth});
  auto obs = c.block_status(0, kSeedSize);
  ASSERT_TRUE(obs.ok()) << obs.error;
  EXPECT_EQ(obs.replies.at(0).extents, (Extents{{65536, 2}, {131072, 1}, {65536, 2}}));
}

TEST_F(NbdClientLive, ListsAndNegotiatesContexts) {
  Seed seed;
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), seed.options());
  auto offered = NbdClient::list_meta_contexts(server.socket(), "");
  EXPECT_THAT(offered, Contains(kAlloc));
  EXPECT_THAT(offered, Contains(kDepth));
  EXPECT_THAT(NbdClient::list_meta_contexts(server.socket(), "", {"base:"}), ElementsAre(kAlloc));

  NbdClient c = connect_with(server, {kAlloc, "qemu:dirty-bitmap:nosuch", kDepth});
  EXPECT_TRUE(c.can_meta_context(kAlloc));
  EXPECT_FALSE(c.can_meta_context("qemu:dirty-bitmap:nosuch"));
  EXPECT_THAT(c.negotiated_contexts(), ElementsAre(kAlloc, kDepth));
  // Listing from a connected client uses its own short connection: this one is untouched.
  EXPECT_THAT(c.list_meta_contexts(), Contains(kDepth));
  EXPECT_TRUE(c.block_status(0, 4096).ok());
}

TEST_F(NbdClientLive, WithoutAllocationDepthOnlyBaseAllocationIsOffered) {
  Seed seed;
  auto options = seed.options();
  options.allocation_depth = false;
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), options);
  EXPECT_THAT(NbdClient::list_meta_contexts(server.socket(), ""), Not(Contains(kDepth)));
  NbdClient c = connect_with(server, {kAlloc, kDepth});
  EXPECT_THAT(c.negotiated_contexts(), ElementsAre(kAlloc));
}

TEST_F(NbdClientLive, ExportSizeFlagsAndBlockSizes) {
  Seed seed;
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), seed.options());
  NbdClient c = connect_with(server, {kAlloc});
  EXPECT_TRUE(c.structured_replies());
  EXPECT_EQ(c.size(), kSeedSize);
  ExportFlags f = c.flags();
  EXPECT_TRUE(f.read_only);
  EXPECT_FALSE(f.can_trim);
  EXPECT_FALSE(f.can_zero);
  EXPECT_TRUE(f.can_df);
  BlockSizes b = c.block_sizes();
  EXPECT_EQ(b.minimum, 1u);
  EXPECT_EQ(b.preferred, 4096u);
  EXPECT_EQ(b.maximum, 32u << 20);
}

TEST_F(NbdClientLive, NotRequestingBlockSizesStillConnects) {
  Seed seed;
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), seed.options());
  NbdClient c;
  c.set_request_block_size(false);
  c.request_meta_context(kAlloc);
  c.connect_unix(server.socket());
  // qemu-nbd advertises its constraints unasked too (NBD_INFO_BLOCK_SIZE in reply to GO).
  EXPECT_EQ(c.block_sizes().preferred, 4096u);
}

TEST_F(NbdClientLive, StrictModeSetterRoundTrips) {
  NbdClient c;
  const uint32_t defaults = c.strict_mode();
  EXPECT_NE(defaults & LIBNBD_STRICT_BOUNDS, 0u);
  c.set_strict_mode(defaults & ~LIBNBD_STRICT_BOUNDS);
  EXPECT_EQ(c.strict_mode(), defaults & ~LIBNBD_STRICT_BOUNDS);
}

TEST_F(NbdClientLive, ReqOneGivesOneExtentPerContext) {
  Seed seed;
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), seed.options());
  NbdClient c = connect_with(server, {kAlloc, kDepth});
  auto obs = c.block_status(0, kSeedSize, LIBNBD_CMD_FLAG_REQ_ONE);
  ASSERT_TRUE(obs.ok()) << obs.error;
  EXPECT_EQ(obs.replies_for(kAlloc).at(0).extents, (Extents{{131072, 0}}));
  EXPECT_EQ(obs.replies_for(kDepth).at(0).extents, (Extents{{65536, 2}}));
}

TEST_F(NbdClientLive, DataCommandsOnAWritableExport) {
  Seed seed;
  auto options = seed.options(/*read_only=*/false);
  options.discard = "unmap";
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), options);
  NbdClient c = connect_with(server, {kAlloc, kDepth});
  ASSERT_TRUE(c.flags().can_zero);
  ASSERT_TRUE(c.flags().can_trim);
  EXPECT_EQ(c.pread(0, 4), (std::vector<uint8_t>{65, 65, 65, 65}));  // from base.raw
  EXPECT_EQ(c.pread(65536, 2), (std::vector<uint8_t>{69, 69}));      // from top.qcow2
  EXPECT_EQ(c.pread(131072, 2), (std::vector<uint8_t>{0, 0}));       // top's zero cluster
  c.pwrite(196608, std::vector<uint8_t>(65536, 0x5a));
  EXPECT_EQ(c.pread(196608 + 100, 1), (std::vector<uint8_t>{0x5a}));
  c.zero(0, 65536, LIBNBD_CMD_FLAG_NO_HOLE);
  c.trim(65536, 65536);
  c.flush();
  EXPECT_EQ(c.pread(0, 1), (std::vector<uint8_t>{0}));
  auto obs = c.block_status(0, kSeedSize);
  ASSERT_TRUE(obs.ok()) << obs.error;
  // Every cluster of top.qcow2 is now allocated locally.
  EXPECT_EQ(obs.replies_for(kDepth).at(0).extents, (Extents{{262144, 1}}));
}

TEST_F(NbdClientLive, ReadOnlyExportRefusesWrites) {
  Seed seed;
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), seed.options());
  NbdClient c = connect_with(server, {kAlloc});
  EXPECT_THROW(c.pwrite(0, std::vector<uint8_t>(512, 1)), NbdError);
  EXPECT_TRUE(c.connected());  // a refused command is not a lost connection
}

TEST_F(NbdClientLive, ServerKilledMidQueryIsAToolErrorNotACrash) {
  Seed seed;
  QemuNbdServer server(QemuNbdImage::file("top.qcow2", "qcow2"), seed.options());
  NbdClient c = connect_with(server, {kAlloc, kDepth});
  ASSERT_TRUE(c.block_status(0, 65536).ok());
  ASSERT_EQ(::kill(server.pid(), SIGKILL), 0);
  EXPECT_THROW(c.block_status(0, kSeedSize), ToolError);
  EXPECT_FALSE(c.connected());
  EXPECT_THROW(c.block_status_full(0, kSeedSize), NbdConnectionLost);
  EXPECT_THROW(c.pread(0, 1), ToolError);
  server.stop();  // reaps the killed server
}

}  // namespace
}  // namespace chaincheck::impl
