// qemu-storage-daemon over QMP: graphs with filter nodes exported over NBD, the QMP error
// path, and dirty bitmaps seen through the qemu:dirty-bitmap context.
#include "impl/servers/storage_daemon.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libnbd.h>

#include "impl/nbd/nbd_client.hpp"
#include "impl/servers/tests/live_support.hpp"

namespace chaincheck::impl {
namespace {

using nlohmann::json;
using testing::LiveTest;
using Extents = std::vector<RawExtent>;

const char* const kAlloc = "base:allocation";
const char* const kDepth = "qemu:allocation-depth";

class StorageDaemonLive : public LiveTest {
 protected:
  void SetUp() override { testing::make_seed_chain(ws_); }
  std::string image(const std::string& name) const { return ws_.file(name).string(); }
  // top.qcow2 (its backing base.raw opened by qcow2 itself) as node "top".
  void add_seed(StorageDaemon& qsd) const {
    qsd.blockdev_add({{"driver", "qcow2"},
                      {"node-name", "top"},
                      {"file", {{"driver", "file"}, {"filename", image("top.qcow2")}}}});
  }
  static NbdClient connect(StorageDaemon& qsd, const std::string& export_name,
                           const std::vector<std::string>& contexts) {
    NbdClient c;
    c.set_export_name(export_name);
    for (const auto& ctx : contexts) c.request_meta_context(ctx);
    c.connect_unix(qsd.nbd_socket());
    return c;
  }
  Workspace ws_;
};

TEST_F(StorageDaemonLive, BlkdebugAlignedChainOverNbd) {
  StorageDaemon qsd;
  add_seed(qsd);
  qsd.blockdev_add({{"driver", "blkdebug"}, {"node-name", "dbg"}, {"image", "top"}, {"align", 4096}});
  auto name = qsd.block_export_add_nbd("dbg", "e0", /*writable=*/false, /*allocation_depth=*/true);
  NbdClient c = connect(qsd, name, {kAlloc, kDepth});
  EXPECT_EQ(c.block_sizes().minimum, 4096u);  // blkdebug's align becomes the NBD minimum
  EXPECT_EQ(c.size(), 262144u);
  auto obs = c.block_status(0, 262144);
  ASSERT_TRUE(obs.ok()) << obs.error;
  EXPECT_EQ(obs.replies_for(kAlloc).at(0).extents, (Extents{{131072, 0}, {131072, 3}}));
  // Observed in 7.2: the filter adds one to the depth of backing data (3, not 2) while
  // local data stays at depth 1.
  EXPECT_EQ(obs.replies_for(kDepth).at(0).extents, (Extents{{65536, 3}, {131072, 1}, {65536, 3}}));
}

TEST_F(StorageDaemonLive, UnalignedRequestsReachQemuOnlyWithStrictAlignOff) {
  StorageDaemon qsd;
  add_seed(qsd);
  qsd.blockdev_add({{"driver", "blkdebug"}, {"node-name", "dbg"}, {"image", "top"}, {"align", 4096}});
  NbdClient c = connect(qsd, qsd.block_export_add_nbd("dbg", "e0", false, true), {kAlloc, kDepth});
  auto refused = c.block_status(1000, 1001);  // libnbd's default strictness stops it
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(refused.replies.empty());
  EXPECT_TRUE(c.connected());
  c.set_strict_mode(c.strict_mode() & ~LIBNBD_STRICT_ALIGN);
  // QEMU 7.2 answers below its advertised 4096-byte minimum: the depth changes at 65536,
  // inside the request, and is reported at byte granularity.
  auto obs = c.block_status(65000, 1000);
  ASSERT_TRUE(obs.ok()) << obs.error;
  EXPECT_EQ(obs.replies_for(kAlloc).at(0).extents, (Extents{{1000, 0}}));
  EXPECT_EQ(obs.replies_for(kDepth).at(0).extents, (Extents{{536, 3}, {464, 1}}));
  // Past the end is the server's EINVAL, an observation; the connection stays up.
  c.set_strict_mode(0);
  auto past_end = c.block_status(262000, 1000);
  EXPECT_FALSE(past_end.ok());
  EXPECT_TRUE(c.connected());
}

TEST_F(StorageDaemonLive, BadBlockdevAddIsAQmpErrorAndTheDaemonGoesOn) {
  StorageDaemon qsd;
  try {
    qsd.blockdev_add({{"driver", "nosuch"}, {"node-name", "x"}});
    FAIL() << "blockdev-add of an unknown driver succeeded";
  } catch (const QmpError& e) {
    EXPECT_EQ(e.command(), "blockdev-add");
    EXPECT_EQ(e.error_class(), "GenericError");
    EXPECT_NE(e.desc().find("nosuch"), std::string::npos) << e.desc();
  }
  EXPECT_THROW(qsd.blockdev_add({{"driver", "qcow2"},
                                 {"node-name", "y"},
                                 {"file", {{"driver", "file"}, {"filename", image("missing.qcow2")}}}}),
               QmpError);
  EXPECT_THROW(qsd.execute("no-such-command"), QmpError);
  add_seed(qsd);
  auto nodes = qsd.query_named_block_nodes();
  std::vector<std::string> names;
  for (const auto& n : nodes) names.push_back(n.value("node-name", ""));
  EXPECT_THAT(names, ::testing::Contains("top"));
  EXPECT_THAT(names, ::testing::Not(::testing::Contains("x")));
}

TEST_F(StorageDaemonLive, DirtyBitmapShowsAWriteThroughNbd) {
  StorageDaemon qsd;
  add_seed(qsd);
  qsd.block_dirty_bitmap_add("top", "b0", 65536);
  auto name = qsd.block_export_add_nbd("top", "e0", /*writable=*/true, false, {"b0"});
  NbdClient c = connect(qsd, name, {"qemu:dirty-bitmap:b0"});
  ASSERT_TRUE(c.can_meta_context("qemu:dirty-bitmap:b0"));
  auto before = c.block_status(0, 262144);
  ASSERT_TRUE(before.ok()) << before.error;
  EXPECT_EQ(before.replies.at(0).extents, (Extents{{262144, 0}}));
  c.pwrite(70000, std::vector<uint8_t>(4096, 7));
  auto after = c.block_status(0, 262144);
  ASSERT_TRUE(after.ok()) << after.error;
  // The bitmap is dirty (flag 1) for the whole 64 KiB granule the write touched.
  EXPECT_EQ(after.replies.at(0).extents, (Extents{{65536, 0}, {65536, 1}, {131072, 0}}));
  c.disconnect();
  qsd.block_export_del(name);
  qsd.block_dirty_bitmap_clear("top", "b0");
  qsd.block_dirty_bitmap_disable("top", "b0");
  qsd.block_dirty_bitmap_enable("top", "b0");
  qsd.block_dirty_bitmap_remove("top", "b0");
  qsd.blockdev_del("top");
}

TEST_F(StorageDaemonLive, FilterNodesCanBeExported) {
  StorageDaemon qsd;
  add_seed(qsd);
  // raw with offset/size: a 128 KiB window starting at 64 KiB.
  qsd.blockdev_add(
      {{"driver", "raw"}, {"node-name", "window"}, {"file", "top"}, {"offset", 65536}, {"size", 131072}});
  qsd.blockdev_add({{"driver", "copy-on-read"}, {"node-name", "cor"}, {"file", "top"}});
  qsd.throttle_group_add("tg0", {{"iops-total", 1000}});
  qsd.blockdev_add(
      {{"driver", "throttle"}, {"node-name", "thr"}, {"throttle-group", "tg0"}, {"file", "top"}});
  RunOptions in_ws;
  in_ws.cwd = ws_.path();
  run_checked({"qemu-img", "create", "-q", "-f", "raw", "scratch.raw", "1M"}, in_ws);
  qsd.blockdev_add({{"driver", "file"}, {"node-name", "scratch-file"}, {"filename", image("scratch.raw")}});
  qsd.blockdev_add({{"driver", "preallocate"}, {"node-name", "prealloc"}, {"file", "scratch-file"}});
  qsd.blockdev_add({{"driver", "compress"}, {"node-name", "cmp"}, {"file", "top"}});

  auto window = connect(qsd, qsd.block_export_add_nbd("window", "", false, false), {kAlloc});
  EXPECT_EQ(window.size(), 131072u);
  auto w = window.block_status_full(0, 131072);
  ASSERT_TRUE(w.ok()) << w.error;
  EXPECT_EQ(w.replies.at(0).extents, (Extents{{65536, 0}, {65536, 3}}));
  EXPECT_EQ(window.pread(0, 1), (std::vector<uint8_t>{69}));

  for (const char* node : {"cor", "thr", "cmp"}) {
    auto c = connect(qsd, qsd.block_export_add_nbd(node, "", false, true), {kAlloc, kDepth});
    auto obs = c.block_status_full(0, 262144);
    ASSERT_TRUE(obs.ok()) << node << ": " << obs.error;
    EXPECT_EQ(obs.replies_for(kAlloc).at(0).extents, (Extents{{131072, 0}, {131072, 3}})) << node;
  }
  auto pre = connect(qsd, qsd.block_export_add_nbd("prealloc", "", true, false), {kAlloc});
  pre.pwrite(4096, std::vector<uint8_t>(4096, 9));
  EXPECT_EQ(pre.pread(4096, 1), (std::vector<uint8_t>{9}));
}

TEST_F(StorageDaemonLive, EventsAreQueuedAndWaitedFor) {
  StorageDaemon qsd;
  add_seed(qsd);
  auto name = qsd.block_export_add_nbd("top", "e0", false, false);
  EXPECT_FALSE(qsd.qmp().wait_event("BLOCK_EXPORT_DELETED", std::chrono::milliseconds(50)));
  qsd.execute("block-export-del", {{"id", name}});
  auto ev = qsd.qmp().wait_event("BLOCK_EXPORT_DELETED", std::chrono::seconds(2));
  ASSERT_TRUE(ev);
  EXPECT_EQ((*ev)["data"]["id"], "e0");
}

TEST_F(StorageDaemonLive, DaemonGoneIsAToolError) {
  std::filesystem::path runtime_dir;
  {
    StorageDaemon qsd;
    runtime_dir = qsd.qmp_socket().parent_path();
    ASSERT_TRUE(std::filesystem::exists(runtime_dir));
    qsd.execute("quit");
    EXPECT_THROW(qsd.query_named_block_nodes(), ToolError);
  }
  EXPECT_FALSE(std::filesystem::exists(runtime_dir));
}

}  // namespace
}  // namespace chaincheck::impl
