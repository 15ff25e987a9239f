// What an export of the active layer shows after an active block-commit pivots: the
// export's BlockBackend moves to the base (mirror_exit_common -> bdrv_replace_node(top,
// base)), so the same export now answers from the base alone.
#include <gtest/gtest.h>

#include "impl/nbd/nbd_client.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/scenario/tests/step_differences.hpp"
#include "impl/servers/storage_daemon.hpp"
#include "model/scenario/observation.hpp"

namespace chaincheck::impl {
namespace {

constexpr u64 KiB = 1024;
constexpr std::chrono::seconds kJob{60};

std::vector<NbdExtent> depth_map(StorageDaemon& qsd, const std::string& name, u64 size) {
  NbdClient c;
  c.set_export_name(name);
  c.request_meta_context("qemu:allocation-depth");
  c.connect_unix(qsd.nbd_socket());
  BlockStatusObservation b = c.block_status_full(0, size);
  EXPECT_TRUE(b.ok()) << b.error;
  NbdObservation nbd;
  nbd.replies = to_model(b, size);
  return context_extents(nbd, "qemu:allocation-depth");
}

TEST(ActiveCommitPivotLive, AnExportOfTheTopShowsTheBaseAfterBlockJobComplete) {
  Workspace ws;
  ImageFormats formats;
  Scenario sc;
  sc.steps = {create(qcow2("base.qcow2", 512 * KiB)), write("base.qcow2", 0, 64 * KiB, 1),
              create(qcow2("top.qcow2", {}, "base.qcow2")), write("top.qcow2", 64 * KiB, 64 * KiB, 2)};
  for (const auto& e : realize_steps(sc, ws, formats)) ASSERT_EQ(e, "");

  StorageDaemonOptions options;
  options.working_dir = ws.path();
  StorageDaemon qsd(options);
  qsd.blockdev_add({{"driver", "file"}, {"filename", "base.qcow2"}, {"node-name", "base-file"}});
  qsd.blockdev_add({{"driver", "qcow2"}, {"file", "base-file"}, {"node-name", "base"}, {"backing", nullptr}});
  qsd.blockdev_add({{"driver", "file"}, {"filename", "top.qcow2"}, {"node-name", "top-file"}});
  qsd.blockdev_add({{"driver", "qcow2"}, {"file", "top-file"}, {"node-name", "top"}, {"backing", "base"}});
  std::string name = qsd.block_export_add_nbd("top", "top", false, true);
  // Before: the base's cluster at depth 2, the top's at depth 1.
  EXPECT_EQ(depth_map(qsd, name, 512 * KiB),
            (std::vector<NbdExtent>{{0, 64 * KiB, 2}, {64 * KiB, 64 * KiB, 1}, {128 * KiB, 384 * KiB, 0}}));

  qsd.execute("block-commit", {{"job-id", "job0"}, {"device", "top"}, {"top-node", "top"}, {"base-node", "base"}});
  bool ready = false;
  while (!ready) {
    auto ev = qsd.qmp().wait_event("JOB_STATUS_CHANGE", kJob);
    ASSERT_TRUE(ev) << "the active commit did not become ready";
    ASSERT_NE((*ev)["data"].value("status", ""), "concluded");
    ready = (*ev)["data"].value("status", "") == "ready";
  }
  qsd.execute("block-job-complete", {{"device", "job0"}});
  auto done = qsd.qmp().wait_event("BLOCK_JOB_COMPLETED", kJob);
  ASSERT_TRUE(done);
  EXPECT_FALSE((*done)["data"].contains("error")) << done->dump();

  // After: the export answers from the base alone: both clusters local, nothing below.
  EXPECT_EQ(depth_map(qsd, name, 512 * KiB), (std::vector<NbdExtent>{{0, 128 * KiB, 1}, {128 * KiB, 384 * KiB, 0}}));
  nlohmann::json exports = qsd.execute("query-block-exports");
  ASSERT_EQ(exports.size(), 1u);
  EXPECT_EQ(exports[0]["node-name"], "base") << exports.dump();
  qsd.stop();
}

}  // namespace
}  // namespace chaincheck::impl
