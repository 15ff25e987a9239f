// QMP block-stream and block-commit in the model: the exact state of every layer after.
// The chains are the ones of the experiments on qemu-storage-daemon 7.2 (and of
// impl/scenario/tests/block_jobs_live_test.cpp, which checks them against QEMU).
#include "model/scenario/block_job_steps.hpp"
#include "model/scenario/scenario_json.hpp"
#include "model/semantics/tests/block_job_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

using T = ClusterType;
using BlockJobs = BlockJobTest;

// stream_run copies what mid allocates through copy-on-read: whole top clusters, an
// all-zero one as a zero cluster; the base's layers stay where they are.
TEST_F(BlockJobs, StreamWithBaseCopiesTheIntermediateAndRebasesOntoTheBase) {
  three_layers();
  auto before = bytes("top.qcow2");
  auto mid = types("mid.qcow2");
  ok(stream_image(s, {.image = "top.qcow2", .base = "base.qcow2"}));
  EXPECT_EQ(types("top.qcow2"), (Types{{0, 64 * KiB, T::Unallocated},
                                       {64 * KiB, 64 * KiB, T::Normal},
                                       {128 * KiB, 64 * KiB, T::Unallocated},
                                       {192 * KiB, 64 * KiB, T::ZeroPlain},
                                       {256 * KiB, 64 * KiB, T::Normal},
                                       {320 * KiB, 704 * KiB, T::Unallocated}}));
  const Qcow2Image& q = s.image(s.find("top.qcow2")).qcow2();
  EXPECT_EQ(q.backing_file, "base.qcow2");
  EXPECT_EQ(q.backing_format, ImageFormat::Qcow2);
  EXPECT_EQ(types("mid.qcow2"), mid);
  EXPECT_EQ(bytes("top.qcow2"), before);
}

// Without a base every layer is streamed (the base's data too) and the backing goes away.
TEST_F(BlockJobs, StreamWithoutBaseCopiesEveryLayerAndDropsTheBacking) {
  three_layers();
  auto before = bytes("top.qcow2");
  ok(stream_image(s, {.image = "top.qcow2"}));
  EXPECT_EQ(types("top.qcow2"), (Types{{0, 128 * KiB, T::Normal},
                                       {128 * KiB, 128 * KiB, T::ZeroPlain},
                                       {256 * KiB, 64 * KiB, T::Normal},
                                       {320 * KiB, 704 * KiB, T::Unallocated}}));
  EXPECT_FALSE(s.image(s.find("top.qcow2")).qcow2().backing_file);
  EXPECT_EQ(bytes("top.qcow2"), before);
}

// commit_run writes what mid allocates into the base as plain data (mid's zero cluster
// too); the top then backs onto the base; mid is left as it was.
TEST_F(BlockJobs, BlockCommitOfTheIntermediateWritesDataIntoTheBaseAndRebasesTheOverlay) {
  three_layers();
  auto before = bytes("top.qcow2");
  auto mid = types("mid.qcow2");
  ok(block_commit_image(s, {.overlay = "top.qcow2", .top = "mid.qcow2", .base = "base.qcow2"}));
  EXPECT_EQ(types("base.qcow2"), (Types{{0, 128 * KiB, T::Normal},
                                        {128 * KiB, 64 * KiB, T::ZeroPlain},
                                        {192 * KiB, 128 * KiB, T::Normal},
                                        {320 * KiB, 704 * KiB, T::Unallocated}}));
  EXPECT_EQ(types("mid.qcow2"), mid);
  EXPECT_EQ(s.image(s.find("top.qcow2")).qcow2().backing_file, "base.qcow2");
  EXPECT_EQ(bytes("top.qcow2"), before);
}

// The intermediate's 512-byte clusters have 32k L2 slices: the stream's chunk ends at 32k,
// so copy-on-read tests [24k, 32k) for zeroes on its own (a zero cluster), not together with
// the non-zero byte at 52k (as live: BlockJobsLiveProperty, generator seed 5).
TEST_F(BlockJobs, StreamChunksEndAtTheL2SliceOfEveryLayerConsulted) {
  qcow2("l0.qcow2", 64 * KiB, {}, ImageFormat::Qcow2, 20);
  write("l0.qcow2", 53248, 1, 187);
  qcow2("l1.qcow2", std::nullopt, "l0.qcow2", ImageFormat::Qcow2, 9);
  write("l1.qcow2", 19456, 2 * KiB, 212);
  qcow2("l2.qcow2", 1 * MiB, "l1.qcow2", ImageFormat::Qcow2, 12);
  ok(stream_image(s, {.image = "l2.qcow2"}));
  EXPECT_EQ(types("l2.qcow2"), (Types{{0, 24 * KiB, T::Normal},
                                      {24 * KiB, 8 * KiB, T::ZeroPlain},
                                      {32 * KiB, 32 * KiB, T::Normal},
                                      {64 * KiB, 960 * KiB, T::Unallocated}}));
}

// A raw layer asked without want_zero allocates the whole request (no SEEK_DATA): each 512k
// chunk is one copy-on-read piece, data as soon as any byte of it is not zero, so the raw
// file's holes do not become zero clusters (as live: BlockJobsLiveProperty, seed 8).
TEST_F(BlockJobs, StreamOverARawLayerCopiesWholeChunksAsData) {
  raw("l0.raw", 1 * MiB);
  write("l0.raw", 0, 4 * KiB, 1);
  write("l0.raw", 600 * KiB, 4 * KiB, 2);
  qcow2("l1.qcow2", std::nullopt, "l0.raw", ImageFormat::Raw, 12);
  ok(stream_image(s, {.image = "l1.qcow2"}));
  EXPECT_EQ(types("l1.qcow2"), (Types{{0, 1 * MiB, T::Normal}}));
  EXPECT_FALSE(s.image(s.find("l1.qcow2")).qcow2().backing_file);
}

TEST_F(BlockJobs, BlockCommitRefusesATopOutsideTheChainAndABaseAboveTheTop) {
  three_layers();
  EXPECT_TRUE(block_commit_image(s, {.overlay = "top.qcow2", .top = "nothere.qcow2"}));
  EXPECT_TRUE(block_commit_image(s, {.overlay = "mid.qcow2", .top = "base.qcow2", .base = "mid.qcow2"}));
  EXPECT_TRUE(stream_image(s, {.image = "mid.qcow2", .base = "top.qcow2"}));
}

TEST_F(BlockJobs, StepsRoundTripThroughJsonAndBadFieldsAreNamed) {
  auto sc = scenario_from_json(nlohmann::json::parse(R"({"steps": [
    {"stream": {"image": "top.qcow2", "base": "base.qcow2"}},
    {"block-commit": {"overlay": "top.qcow2", "top": "mid.qcow2"}}]})"));
  ASSERT_EQ(sc.steps.size(), 2u);
  EXPECT_EQ(std::get<StreamStep>(sc.steps[0]).options.base, "base.qcow2");
  EXPECT_EQ(std::get<BlockCommitStep>(sc.steps[1]).options.top, "mid.qcow2");
  auto again = scenario_from_json(to_json(sc));
  EXPECT_EQ(std::get<StreamStep>(again.steps[0]).options, std::get<StreamStep>(sc.steps[0]).options);
  EXPECT_EQ(std::get<BlockCommitStep>(again.steps[1]).options, std::get<BlockCommitStep>(sc.steps[1]).options);
  try {
    scenario_from_json(nlohmann::json::parse(R"({"steps": [{"block-commit": {"overlay": "a", "top": "b", "base": "b"}}]})"));
    ADD_FAILURE() << "accepted base == top";
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("steps[0].block-commit.base"), std::string::npos) << e.what();
  }
  try {
    scenario_from_json(nlohmann::json::parse(R"({"steps": [{"stream": {"image": "a", "speed": 1}}]})"));
    ADD_FAILURE() << "accepted an unknown field";
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("stream.speed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chaincheck::model::testing
