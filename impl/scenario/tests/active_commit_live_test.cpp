// QMP active block-commit on qemu-storage-daemon against the model: the job reaches READY,
// block-job-complete pivots it, and every layer's header, qemu-img map and content must then
// be what the model predicts (model/semantics/active_commit.cpp).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "impl/scenario/tests/kf045.hpp"
#include "impl/scenario/tests/step_differences.hpp"

namespace chaincheck::impl {
namespace {

constexpr u64 KiB = 1024;

// base <- mid <- top: data, zero-filled data, zero clusters and partial clusters in each.
std::vector<Step> three_layers(unsigned top_bits = 16, unsigned base_bits = 16) {
  return {create(qcow2("base.qcow2", 1024 * KiB, {}, base_bits)), write("base.qcow2", 0, 64 * KiB, 1),
          zero("base.qcow2", 128 * KiB, 64 * KiB), write("base.qcow2", 512 * KiB, 8 * KiB, 5),
          create(qcow2("mid.qcow2", {}, "base.qcow2")), write("mid.qcow2", 64 * KiB, 4 * KiB, 2),
          write("mid.qcow2", 192 * KiB, 64 * KiB, 0), zero("mid.qcow2", 256 * KiB, 64 * KiB),
          zero("mid.qcow2", 640 * KiB, 64 * KiB, true), write("mid.qcow2", 700 * KiB, 6 * KiB, 6),
          create(qcow2("top.qcow2", {}, "mid.qcow2", top_bits)), write("top.qcow2", 300 * KiB, 4 * KiB, 3),
          zero("top.qcow2", 896 * KiB, 64 * KiB, true)};
}

Step active(std::optional<std::string> base = {}) {
  return BlockCommitStep{{.overlay = "top.qcow2", .top = "top.qcow2", .base = std::move(base)}};
}

TEST(ActiveCommitLive, IntoTheBottomCopiesEveryUpperLayerAndLeavesTheirFilesAsTheyWere) {
  auto steps = three_layers();
  steps.push_back(active());
  EXPECT_AGREES(steps);
}

TEST(ActiveCommitLive, IntoTheMiddleLayerLeavesTheBaseAlone) {
  auto steps = three_layers();
  steps.push_back(active("mid.qcow2"));
  EXPECT_AGREES(steps);
}

// The dirty bitmap's granularity is the target's cluster size (4k here) under a 4k top.
TEST(ActiveCommitLive, IntoASmallClusterBaseCopiesAtItsGranularity) {
  auto steps = three_layers(12, 12);
  steps.push_back(active("base.qcow2"));
  EXPECT_AGREES(steps);
}

// KF-045: a zero cluster of the top over base data is zeroed in the base with
// BDRV_REQ_MAY_UNMAP; the base node was added without discard=unmap, so (as
// bdrv_co_pwrite_zeroes says) the base should keep its host cluster (ZERO_ALLOC, the model).
// QEMU 7.2's BlockBackend path (blk_co_pwrite_zeroes) skips that check and frees it
// (ZERO_PLAIN). When QEMU is fixed this test fails and the finding goes.
TEST(ActiveCommitLive, AZeroClusterOverBaseDataIsUnmappedDespiteDiscardIgnore_KF045) {
  std::vector<Step> steps = {create(qcow2("base.qcow2", 512 * KiB)), write("base.qcow2", 0, 256 * KiB, 1),
                             create(qcow2("top.qcow2", {}, "base.qcow2")), zero("top.qcow2", 0, 128 * KiB, true),
                             active()};
  auto diffs = differences(steps);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].rfind("base.qcow2: qemu-img map", 0), 0u) << diffs[0];
  EXPECT_TRUE(only_kf045(diffs)) << diffs[0];
}

TEST(ActiveCommitLive, IntoAShorterRawBaseGrowsIt) {
  std::vector<Step> steps = {raw("base.raw", 256 * KiB), write("base.raw", 0, 64 * KiB, 1),
                             create(qcow2("top.qcow2", 512 * KiB, "base.raw", 16, ImageFormat::Raw)),
                             write("top.qcow2", 200 * KiB, 128 * KiB, 2), zero("top.qcow2", 0, 64 * KiB)};
  steps.push_back(active());
  EXPECT_AGREES(steps, LayerCheck{.raw_maps = false});
}

TEST(ActiveCommitLive, ABaseOutsideTheChainOrTheTopItselfIsRefusedByBoth) {
  auto steps = three_layers();
  steps.push_back(create(qcow2("other.qcow2", 1024 * KiB)));
  steps.push_back(active("other.qcow2"));
  steps.push_back(active("top.qcow2"));
  steps.push_back(BlockCommitStep{{.overlay = "other.qcow2", .top = "other.qcow2"}});
  EXPECT_AGREES(steps);
}

// A random chain of two or three layers (v2 / v3, extended L2, preallocation, raw bottoms,
// guest writes, zeroes, discards), then an active commit of its top into a random layer
// below: every layer must be what the model says. 10 cases (RC_PARAMS in CMake).
RC_GTEST_PROP(ActiveCommitLiveProperty, EveryLayerMatchesTheModelAfterAnActiveCommit, ()) {
  const auto seed = *rc::gen::noShrink(rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << "generator seed " << seed << "\n";
  RandomChooser chooser(seed);
  Scenario sc = generate_scenario(chooser, plain_chain_config());
  std::vector<GeneratedLayer> layers = generated_layers(sc);
  RC_PRE(layers.size() >= 2 && layers.back().format == ImageFormat::Qcow2);
  // A qcow2 base shorter than the top would be grown (not modelled).
  std::vector<std::size_t> bases;
  for (std::size_t i = 0; i + 1 < layers.size(); ++i)
    if (layers[i].format == ImageFormat::Raw || layers[i].size >= layers.back().size) bases.push_back(i);
  RC_PRE(!bases.empty());
  std::size_t b = bases[chooser.range(0, bases.size() - 1)];
  BlockCommitOptions o{.overlay = layers.back().name, .top = layers.back().name};
  if (b != 0 || chooser.chance(50)) o.base = layers[b].name;
  sc.steps.push_back(BlockCommitStep{o});
  RC_CLASSIFY(layers.size() == 3 && b == 1, "into the middle");
  for (const Step& st : sc.steps) RC_LOG() << describe(st) << "\n";
  std::vector<std::string> before_job;
  auto diffs = differences(sc.steps, LayerCheck{.raw_maps = false}, &before_job);
  RC_PRE(before_job.empty());  // a layer that differs before the job is another rule's case
  for (const auto& d : diffs) RC_LOG() << d << "\n";
  // Known QEMU behaviour, checked by its own test: every difference is KF-045's.
  RC_CLASSIFY(only_kf045(diffs), "KF-045 only");
  RC_ASSERT(diffs.empty() || only_kf045(diffs));
}

}  // namespace
}  // namespace chaincheck::impl
