// QMP block-stream and block-commit on qemu-storage-daemon against the model: after each job
// every layer's header, qemu-img map and content must be what the model predicts.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "impl/scenario/tests/kf045.hpp"
#include "impl/scenario/tests/step_differences.hpp"
#include "model/generate/block_job_generator.hpp"

namespace chaincheck::impl {
namespace {

constexpr u64 KiB = 1024;

// base <- mid <- top: data, zero-filled data, zero clusters and partial clusters in each.
std::vector<Step> three_layers(unsigned top_bits = 16, unsigned mid_bits = 16) {
  return {create(qcow2("base.qcow2", 1024 * KiB)), write("base.qcow2", 0, 64 * KiB, 1),
          zero("base.qcow2", 128 * KiB, 64 * KiB), write("base.qcow2", 512 * KiB, 8 * KiB, 5),
          create(qcow2("mid.qcow2", {}, "base.qcow2", mid_bits)), write("mid.qcow2", 64 * KiB, 4 * KiB, 2),
          write("mid.qcow2", 192 * KiB, 64 * KiB, 0), zero("mid.qcow2", 256 * KiB, 64 * KiB),
          zero("mid.qcow2", 640 * KiB, 64 * KiB, true), write("mid.qcow2", 700 * KiB, 6 * KiB, 6),
          create(qcow2("top.qcow2", {}, "mid.qcow2", top_bits)), write("top.qcow2", 300 * KiB, 4 * KiB, 3),
          zero("top.qcow2", 900 * KiB, 8 * KiB)};
}

TEST(BlockJobsLive, StreamWithABaseCopiesTheIntermediateAndRebasesOntoTheBase) {
  auto steps = three_layers();
  steps.push_back(StreamStep{{.image = "top.qcow2", .base = "base.qcow2"}});
  EXPECT_AGREES(steps);
}

TEST(BlockJobsLive, StreamWithoutABaseCopiesEveryLayerAndDropsTheBacking) {
  auto steps = three_layers();
  steps.push_back(StreamStep{{.image = "top.qcow2"}});
  EXPECT_AGREES(steps);
}

// Copy-on-read rounds to the top's clusters (4k) inside the intermediate's 64k clusters.
TEST(BlockJobsLive, StreamIntoSmallClustersCopiesOnlyTheTopClustersThatAreNeeded) {
  auto steps = three_layers(12, 16);
  steps.push_back(StreamStep{{.image = "top.qcow2", .base = "base.qcow2"}});
  EXPECT_AGREES(steps);
}

TEST(BlockJobsLive, StreamOfTheDirectOverlayOnlyRewritesTheHeader) {
  auto steps = three_layers();
  steps.push_back(StreamStep{{.image = "top.qcow2", .base = "mid.qcow2"}});
  EXPECT_AGREES(steps);
}

TEST(BlockJobsLive, StreamOverARawBottomCopiesTheWholeRawFile) {
  std::vector<Step> steps = {raw("base.raw", 512 * KiB), write("base.raw", 0, 128 * KiB, 1),
                             create(qcow2("top.qcow2", {}, "base.raw", 16, ImageFormat::Raw)),
                             write("top.qcow2", 64 * KiB, 4 * KiB, 2)};
  steps.push_back(StreamStep{{.image = "top.qcow2"}});
  // The raw file is only read: its SEEK_DATA answer after a read is not this test's concern.
  EXPECT_AGREES(steps, LayerCheck{.raw_maps = false});
}

TEST(BlockJobsLive, BlockCommitOfTheIntermediateWritesPlainDataIntoTheBase) {
  auto steps = three_layers();
  steps.push_back(BlockCommitStep{{.overlay = "top.qcow2", .top = "mid.qcow2", .base = "base.qcow2"}});
  EXPECT_AGREES(steps);
}

TEST(BlockJobsLive, BlockCommitWithoutABaseCommitsIntoTheBottom) {
  auto steps = three_layers(16, 12);
  steps.push_back(BlockCommitStep{{.overlay = "top.qcow2", .top = "mid.qcow2"}});
  EXPECT_AGREES(steps);
}

TEST(BlockJobsLive, BlockCommitIntoAShorterRawBaseGrowsIt) {
  std::vector<Step> steps = {raw("base.raw", 256 * KiB), write("base.raw", 0, 64 * KiB, 1),
                             create(qcow2("mid.qcow2", 512 * KiB, "base.raw", 16, ImageFormat::Raw)),
                             write("mid.qcow2", 200 * KiB, 128 * KiB, 2), zero("mid.qcow2", 0, 64 * KiB),
                             create(qcow2("top.qcow2", {}, "mid.qcow2")), write("top.qcow2", 0, 4 * KiB, 3)};
  steps.push_back(BlockCommitStep{{.overlay = "top.qcow2", .top = "mid.qcow2", .base = "base.raw"}});
  EXPECT_AGREES(steps, LayerCheck{.raw_maps = false});
}

TEST(BlockJobsLive, JobsOnImagesOutsideTheChainAreRefusedByBoth) {
  auto steps = three_layers();
  steps.push_back(BlockCommitStep{{.overlay = "top.qcow2", .top = "mid.qcow2", .base = "top.qcow2"}});
  steps.push_back(StreamStep{{.image = "mid.qcow2", .base = "top.qcow2"}});
  EXPECT_AGREES(steps);
}

// KF-035: the top allocates the first 2k subcluster of its first cluster; streaming copies
// the rest of that cluster through copy-on-read, which QEMU 7.2 asserts against and aborts.
// The model keeps the intended result; when QEMU is fixed this test fails and the finding goes.
TEST(BlockJobsLive, StreamIntoAPartlyAllocatedExtendedL2ClusterAbortsTheDaemon_KF035) {
  model::CreateOptions top = qcow2("top.qcow2", {}, "base.qcow2");
  top.extended_l2 = true;
  std::vector<Step> steps = {create(qcow2("base.qcow2", 1024 * KiB)), write("base.qcow2", 0, 1024 * KiB, 1),
                             create(top), write("top.qcow2", 0, 2 * KiB, 2),
                             StreamStep{{.image = "top.qcow2"}}};
  auto diffs = differences(steps);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_NE(diffs[0].find("model ''"), std::string::npos) << diffs[0];
  EXPECT_TRUE(hits_kf035(diffs)) << diffs[0];
}

// A random chain of two or three layers (v2 / v3, extended L2, preallocation, raw bottoms,
// guest writes, zeroes, discards), then one block-stream or block-commit: every layer must be
// what the model says. 15 cases (RC_PARAMS in CMake).
RC_GTEST_PROP(BlockJobsLiveProperty, EveryLayerMatchesTheModelAfterOneBlockJob, ()) {
  // RapidCheck's small early sizes mostly draw one layer, where no job fits: the scenario
  // comes from a seeded generator instead (the seed is shown on failure).
  const auto seed = *rc::gen::noShrink(rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << "generator seed " << seed << "\n";
  RandomChooser chooser(seed);
  Scenario sc = generate_scenario(chooser, plain_chain_config());
  std::vector<GeneratedLayer> layers = generated_layers(sc);
  add_random_bitmaps(chooser, sc, layers);  // checked on every layer by compare_layers
  RC_PRE(add_job_step(chooser, layers, sc));
  RC_CLASSIFY(std::holds_alternative<StreamStep>(sc.steps.back()), "block-stream");
  RC_CLASSIFY(std::holds_alternative<BlockCommitStep>(sc.steps.back()), "block-commit");
  for (const Step& st : sc.steps) RC_LOG() << describe(st) << "\n";
  std::vector<std::string> before_job;
  auto diffs = differences(sc.steps, LayerCheck{.raw_maps = false}, &before_job);
  RC_PRE(before_job.empty());  // a layer that differs before the job is another rule's case
  for (const auto& d : diffs) RC_LOG() << d << "\n";
  RC_PRE(!hits_kf035(diffs));  // a known QEMU abort, checked by its own test
  // Known: an active commit's zeroes unmap in the base despite discard=ignore (KF-045).
  const auto* job = std::get_if<BlockCommitStep>(&sc.steps.back());
  RC_ASSERT(diffs.empty() || (job && job->options.top == job->options.overlay && only_kf045(diffs)));
}

}  // namespace
}  // namespace chaincheck::impl
