// QMP active block-commit in the model (top = the active layer): a mirror into the base,
// then block-job-complete. The exact state of every layer after; the same chains run on
// qemu-storage-daemon 7.2 in impl/scenario/tests/active_commit_live_test.cpp.
#include "model/scenario/block_job_steps.hpp"
#include "model/scenario/scenario_json.hpp"
#include "model/semantics/tests/block_job_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

using T = ClusterType;

class ActiveCommit : public BlockJobTest {
 protected:
  static BlockCommitOptions active(std::optional<std::string> base = {}) {
    return {.overlay = "top.qcow2", .top = "top.qcow2", .base = std::move(base)};
  }
};

// mirror_dirty_init marks what top and mid allocate; each dirty chunk is data somewhere in
// the chain, so it is copied as data. The base then reads what the top read; the top and mid
// keep every cluster and their headers (no bdrv_make_empty, MIRROR_LEAVE_BACKING_CHAIN).
TEST_F(ActiveCommit, CopiesWhatIsAllocatedAboveTheBaseAndLeavesTheUpperLayersAsTheyWere) {
  three_layers();
  auto before = bytes("top.qcow2");
  auto top = types("top.qcow2");
  auto mid = types("mid.qcow2");
  ok(block_commit_image(s, active()));
  EXPECT_EQ(types("base.qcow2"), (Types{{0, 128 * KiB, T::Normal},
                                        {128 * KiB, 64 * KiB, T::ZeroPlain},
                                        {192 * KiB, 128 * KiB, T::Normal},
                                        {320 * KiB, 704 * KiB, T::Unallocated}}));
  EXPECT_EQ(bytes("base.qcow2"), before);
  EXPECT_EQ(types("top.qcow2"), top);
  EXPECT_EQ(types("mid.qcow2"), mid);
  EXPECT_EQ(s.image(s.find("top.qcow2")).qcow2().backing_file, "mid.qcow2");
  EXPECT_EQ(s.image(s.find("mid.qcow2")).qcow2().backing_file, "base.qcow2");
  EXPECT_FALSE(s.image(s.find("base.qcow2")).qcow2().backing_file);
}

// A zero cluster in the top over base data: mirror_iteration zeroes the base's cluster with
// BDRV_REQ_MAY_UNMAP, but a node added without discard=unmap drops the flag, so the base
// keeps its host cluster (ZERO_ALLOC), where qemu-img commit (BDRV_O_UNMAP) frees it.
TEST_F(ActiveCommit, AZeroClusterOverBaseDataKeepsTheBaseHostCluster) {
  qcow2("base.qcow2", 1 * MiB);
  write("base.qcow2", 0, 128 * KiB, 1);
  qcow2("top.qcow2", std::nullopt, "base.qcow2");
  write_zeroes("top.qcow2", 0, 64 * KiB);
  ok(block_commit_image(s, active()));
  EXPECT_EQ(types("base.qcow2"),
            (Types{{0, 64 * KiB, T::ZeroAlloc}, {64 * KiB, 64 * KiB, T::Normal}, {128 * KiB, 896 * KiB, T::Unallocated}}));
  EXPECT_EQ(types("top.qcow2"), (Types{{0, 64 * KiB, T::ZeroPlain}, {64 * KiB, 960 * KiB, T::Unallocated}}));
}

// With base-node = mid only top's clusters go into mid; the real base is not touched.
TEST_F(ActiveCommit, IntoTheMiddleLayerTouchesOnlyTheMiddleLayer) {
  three_layers();
  auto base = types("base.qcow2");
  auto before = bytes("top.qcow2");
  ok(block_commit_image(s, active("mid.qcow2")));
  EXPECT_EQ(types("mid.qcow2"), (Types{{0, 64 * KiB, T::Unallocated},
                                       {64 * KiB, 64 * KiB, T::Normal},
                                       {128 * KiB, 64 * KiB, T::Unallocated},
                                       {192 * KiB, 128 * KiB, T::Normal},
                                       {320 * KiB, 704 * KiB, T::Unallocated}}));
  EXPECT_EQ(types("base.qcow2"), base);
  EXPECT_EQ(bytes("mid.qcow2"), before);
}

// mirror_start_job: granularity 0 -> bdrv_get_default_bitmap_granularity(target). Under a
// 4k-cluster top, a 4k-cluster base gets only the top's 4k cluster; a 64k one the whole 64k.
TEST_F(ActiveCommit, TheDirtyGranularityIsTheBaseClusterSize) {
  qcow2("big.qcow2", 256 * KiB);
  write("big.qcow2", 0, 256 * KiB, 1);
  qcow2("base.qcow2", std::nullopt, "big.qcow2", ImageFormat::Qcow2, 12);
  qcow2("top.qcow2", std::nullopt, "base.qcow2", ImageFormat::Qcow2, 12);
  write("top.qcow2", 8 * KiB, 4 * KiB, 7);
  ok(block_commit_image(s, active("base.qcow2")));
  EXPECT_EQ(types("base.qcow2"),
            (Types{{0, 8 * KiB, T::Unallocated}, {8 * KiB, 4 * KiB, T::Normal}, {12 * KiB, 244 * KiB, T::Unallocated}}));
  ok(block_commit_image(s, {.overlay = "base.qcow2", .top = "base.qcow2"}));
  EXPECT_EQ(types("big.qcow2"), (Types{{0, 256 * KiB, T::Normal}}));
  EXPECT_EQ(bytes("big.qcow2"), bytes("top.qcow2"));
}

// A raw base shorter than the top is grown (mirror_run: blk_truncate) before the copy.
TEST_F(ActiveCommit, AShorterRawBaseIsGrown) {
  raw("base.raw", 128 * KiB);
  qcow2("top.qcow2", 256 * KiB, "base.raw", ImageFormat::Raw);
  write("top.qcow2", 192 * KiB, 4 * KiB, 9);
  ok(block_commit_image(s, active()));
  Graph g = open_image(s, "base.raw");
  EXPECT_EQ(node_length(s, g, g.root), 256 * KiB);
  EXPECT_EQ(bytes("base.raw"), bytes("top.qcow2"));
}

// qmp_block_commit: the base must be in the chain and cannot be the top itself; a top
// without a backing has nothing to commit into.
TEST_F(ActiveCommit, RefusesABaseOutsideTheChainTheTopItselfAndATopWithoutBacking) {
  three_layers();
  qcow2("other.qcow2", 1 * MiB);
  EXPECT_TRUE(block_commit_image(s, active("other.qcow2")));
  EXPECT_TRUE(block_commit_image(s, active("top.qcow2")));
  EXPECT_TRUE(block_commit_image(s, {.overlay = "other.qcow2", .top = "other.qcow2"}));
  EXPECT_TRUE(block_commit_image(s, {.overlay = "missing.qcow2", .top = "missing.qcow2"}));
}

TEST_F(ActiveCommit, TheStepRoundTripsThroughJsonAndNamesItsCompletion) {
  auto sc = scenario_from_json(nlohmann::json::parse(
      R"({"steps": [{"block-commit": {"overlay": "top.qcow2", "top": "top.qcow2", "base": "base.qcow2"}}]})"));
  const auto& step = std::get<BlockCommitStep>(sc.steps.at(0));
  EXPECT_EQ(step.options, active("base.qcow2"));
  EXPECT_EQ(std::get<BlockCommitStep>(scenario_from_json(to_json(sc)).steps.at(0)).options, step.options);
  EXPECT_EQ(qmp_command(step)["arguments"]["top-node"], "top.qcow2");
  ASSERT_TRUE(qmp_completion(step));
  EXPECT_EQ((*qmp_completion(step))["execute"], "block-job-complete");
  EXPECT_FALSE(qmp_completion(BlockCommitStep{{.overlay = "top.qcow2", .top = "mid.qcow2"}}));
  EXPECT_NE(describe(step).find("active"), std::string::npos);
}

}  // namespace
}  // namespace chaincheck::model::testing
