// qemu-img commit / rebase / convert against the model: after each operation every layer's
// header, qemu-img map and content must be what the model predicts (impl/scenario/layer_check).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "impl/process/process.hpp"
#include "impl/scenario/layer_check.hpp"
#include "impl/scenario/tests/kf045.hpp"
#include "impl/scenario/tests/step_differences.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "model/semantics/chain.hpp"
#include "model/generate/block_job_generator.hpp"
#include "model/generate/chain_step_generator.hpp"
#include "model/scenario/model_system.hpp"
#include "model/generate/tests/rc_chooser.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;

constexpr u64 KiB = 1024;

// The chain every commit test starts from: data, zeroes and partial clusters in the top.
std::vector<Step> commit_chain(unsigned base_bits, unsigned top_bits) {
  return {create(qcow2("base.qcow2", 1024 * KiB, {}, base_bits)),
          write("base.qcow2", 0, 128 * KiB, 1), write("base.qcow2", 512 * KiB, 64 * KiB, 5),
          create(qcow2("top.qcow2", {}, "base.qcow2", top_bits)),
          zero("top.qcow2", 0, 64 * KiB), write("top.qcow2", 192 * KiB, 4 * KiB, 2),
          zero("top.qcow2", 512 * KiB, 64 * KiB, true), write("top.qcow2", 768 * KiB, 6 * KiB, 3),
          zero("top.qcow2", 900 * KiB, 8 * KiB)};
}

TEST(ChainOperationsLive, CommitEmptiesTheTopAndZeroClustersBecomeZeroInTheBase) {
  auto steps = commit_chain(16, 16);
  steps.push_back(CommitStep{{.top = "top.qcow2"}});
  EXPECT_AGREES(steps);
}

TEST(ChainOperationsLive, CommitWithSmallBaseClustersCopiesWholeMirrorChunks) {
  auto steps = commit_chain(12, 9);
  steps.push_back(CommitStep{{.top = "top.qcow2"}});
  EXPECT_AGREES(steps);
}

TEST(ChainOperationsLive, CommitWithDropLeavesTheTopAsItWas) {
  auto steps = commit_chain(16, 16);
  steps.push_back(CommitStep{{.top = "top.qcow2", .drop = true}});
  EXPECT_AGREES(steps);
}

TEST(ChainOperationsLive, CommitIntoARawBaseThroughAMiddleLayer) {
  std::vector<Step> steps = {raw("base.raw", 1024 * KiB), write("base.raw", 0, 256 * KiB, 1),
                             create(qcow2("mid.qcow2", {}, "base.raw", 16, ImageFormat::Raw)),
                             write("mid.qcow2", 64 * KiB, 64 * KiB, 2), zero("mid.qcow2", 128 * KiB, 64 * KiB),
                             create(qcow2("top.qcow2", {}, "mid.qcow2")), write("top.qcow2", 300 * KiB, 4 * KiB, 3),
                             zero("top.qcow2", 0, 64 * KiB, true)};
  steps.push_back(CommitStep{{.top = "top.qcow2", .base = "base.raw"}});
  EXPECT_AGREES(steps);
}

std::vector<Step> rebase_chain(u64 new_size = 1024 * KiB) {
  return {create(qcow2("old.qcow2", 1024 * KiB)), write("old.qcow2", 0, 256 * KiB, 1),
          create(qcow2("new.qcow2", new_size)), write("new.qcow2", 64 * KiB, 64 * KiB, 1),
          write("new.qcow2", 128 * KiB, 4 * KiB, 9), write("new.qcow2", 400 * KiB, 64 * KiB, 7),
          create(qcow2("top.qcow2", {}, "old.qcow2")), write("top.qcow2", 0, 64 * KiB, 3),
          write("old.qcow2", 800 * KiB, 8 * KiB, 4)};
}

TEST(ChainOperationsLive, SafeRebaseCopiesTheSectorsWhereOldAndNewBackingDiffer) {
  auto steps = rebase_chain();
  steps.push_back(RebaseStep{{.image = "top.qcow2", .backing = "new.qcow2", .backing_format = ImageFormat::Qcow2}});
  EXPECT_AGREES(steps);
}

// Past the new backing's end the old bytes are written, zeroes as write-zeroes.
TEST(ChainOperationsLive, SafeRebaseOntoAShorterBackingKeepsEveryByte) {
  auto steps = rebase_chain(512 * KiB);
  steps.push_back(RebaseStep{{.image = "top.qcow2", .backing = "new.qcow2", .backing_format = ImageFormat::Qcow2}});
  EXPECT_AGREES(steps);
}

TEST(ChainOperationsLive, UnsafeRebaseOnlyRewritesTheHeader) {
  auto steps = rebase_chain();
  steps.push_back(RebaseStep{
      {.image = "top.qcow2", .backing = "new.qcow2", .backing_format = ImageFormat::Qcow2, .unsafe = true}});
  EXPECT_AGREES(steps);
}

TEST(ChainOperationsLive, SafeRebaseOntoNothingCopiesTheWholeBacking) {
  auto steps = rebase_chain();
  steps.push_back(RebaseStep{{.image = "top.qcow2", .backing = ""}});
  EXPECT_AGREES(steps);
}

std::vector<Step> convert_chain() {
  return {create(qcow2("base.qcow2", 1024 * KiB)), write("base.qcow2", 0, 128 * KiB, 1),
          write("base.qcow2", 256 * KiB, 64 * KiB, 0), write("base.qcow2", 512 * KiB, 4 * KiB, 6),
          create(qcow2("top.qcow2", {}, "base.qcow2")), write("top.qcow2", 64 * KiB, 2 * KiB, 2),
          zero("top.qcow2", 0, 64 * KiB), write("top.qcow2", 640 * KiB, 64 * KiB, 0)};
}

TEST(ChainOperationsLive, ConvertToQcow2AllocatesOnlyNonZeroData) {
  auto steps = convert_chain();
  steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "out.qcow2", .target_format = ImageFormat::Qcow2}});
  EXPECT_AGREES(steps);
}

TEST(ChainOperationsLive, ConvertToRawLeavesZeroRangesAsHoles) {
  auto steps = convert_chain();
  steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "out.raw", .target_format = ImageFormat::Raw}});
  EXPECT_AGREES(steps);
}

TEST(ChainOperationsLive, ConvertWithBackingKeepsOnlyTheSourceTopLayer) {
  auto steps = convert_chain();
  steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "out.qcow2", .target_format = ImageFormat::Qcow2,
                               .backing = "base.qcow2", .backing_format = ImageFormat::Qcow2}});
  EXPECT_AGREES(steps);
}

TEST(ChainOperationsLive, ConvertIntoAnExistingTargetZeroesUnlessTargetIsZero) {
  for (bool target_is_zero : {false, true}) {
    auto steps = convert_chain();
    steps.push_back(create(qcow2("out.qcow2", 1024 * KiB)));
    steps.push_back(write("out.qcow2", 0, 1024 * KiB, 8));
    steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "out.qcow2", .target_format = ImageFormat::Qcow2,
                                 .existing = true, .target_is_zero = target_is_zero}});
    SCOPED_TRACE(target_is_zero ? "--target-is-zero" : "-n");
    EXPECT_AGREES(steps);
  }
}


// A random chain (up to 3 layers, guest writes, zeroes, discards), then one random commit,
// rebase or convert, or (one in four) a block-stream / block-commit job: every layer must be
// what the model says. 20 cases (RC_PARAMS in CMake).
RC_GTEST_PROP(ChainOperationsLiveProperty, EveryLayerMatchesTheModelAfterOneChainOperation, ()) {
  model::testing::RcChooser chooser;
  Scenario sc = generate_scenario(chooser, plain_chain_config());
  std::vector<GeneratedLayer> layers = generated_layers(sc);
  add_random_bitmaps(chooser, sc, layers);  // checked on every layer by compare_layers
  // One in four a block job (qemu-storage-daemon) instead of a qemu-img operation.
  if (!(layers.size() >= 2 && chooser.chance(25) && add_job_step(chooser, layers, sc))) add_chain_step(chooser, layers, sc);
  add_random_convert_bitmaps(chooser, sc);
  RC_CLASSIFY(std::holds_alternative<CommitStep>(sc.steps.back()), "commit");
  RC_CLASSIFY(std::holds_alternative<RebaseStep>(sc.steps.back()), "rebase");
  RC_CLASSIFY(std::holds_alternative<ConvertStep>(sc.steps.back()), "convert");
  RC_CLASSIFY(std::holds_alternative<StreamStep>(sc.steps.back()), "block-stream");
  RC_CLASSIFY(std::holds_alternative<BlockCommitStep>(sc.steps.back()), "block-commit");
  for (const Step& st : sc.steps) RC_LOG() << describe(st) << "\n";
  std::vector<std::string> before_op;
  // Raw files are read by the operation and by the check: their SEEK_DATA answer is not
  // stable on ext4 after write-zeroes (LayerCheck::raw_maps); their bytes still are compared.
  auto diffs = differences(sc.steps, LayerCheck{.raw_maps = false}, &before_op);
  // A layer that already differs before the chain operation is another rule's business
  // (e.g. host-filesystem allocation after write-zeroes on raw): not this property's case.
  RC_PRE(before_op.empty());
  RC_PRE(!hits_kf035(diffs));  // known: block-stream into extended L2 aborts QEMU
  for (const auto& d : diffs) RC_LOG() << d << "\n";
  // Known: an active commit's zeroes unmap in the base despite discard=ignore (KF-045).
  const auto* job = std::get_if<BlockCommitStep>(&sc.steps.back());
  RC_ASSERT(diffs.empty() || (job && job->options.top == job->options.overlay && only_kf045(diffs)));
}

}  // namespace
}  // namespace chaincheck::impl
