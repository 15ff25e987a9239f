// A campaign block-job scenario and its reproducer agree: the verdict the campaign reaches
// (judge_scenario on the real stack) is the verdict `chaincheck repro` reaches replaying the
// reproducer's transcript (qemu-storage-daemon + QMP lines), known findings included.
#include <gtest/gtest.h>

#include <set>

#include "impl/scenario/qemu_system.hpp"
#include "impl/scenario/tests/step_differences.hpp"
#include "impl/transcript/transcript_runner.hpp"
#include "model/generate/block_job_generator.hpp"
#include "oracle/campaign.hpp"
#include "oracle/registry.hpp"
#include "oracle/transcript_replay.hpp"
#include "oracle/reproducer_writer.hpp"
#include "oracle/tests/replay_verdicts.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

using oracle::testing::expect_same_verdict;
using oracle::testing::Verdicts;

// The campaign's own generator (plain chains) with one job appended, as the block-job
// property draws them: the first three seeds from 1 whose chain has room for a job.
TEST(ReproducerReplayLive, GeneratedBlockJobScenariosReplayWithTheCampaignsVerdict) {
  int tried = 0;
  std::set<std::string> kinds;
  for (std::uint64_t seed = 1; seed < 200 && tried < 3; ++seed) {
    RandomChooser chooser(seed);
    Scenario sc = generate_scenario(chooser, impl::plain_chain_config());
    if (!add_job_step(chooser, impl::generated_layers(sc), sc)) continue;
    ++tried;
    kinds.insert(std::holds_alternative<StreamStep>(sc.steps.back()) ? "stream" : "commit");
    SCOPED_TRACE("generator seed " + std::to_string(seed) + ": " + describe(sc.steps.back()));
    expect_same_verdict(sc, "modelled: block-");
  }
  EXPECT_EQ(tried, 3);
  RecordProperty("job kinds", std::to_string(kinds.size()));
}

CreateOptions qcow2(const std::string& name, std::optional<u64> size, std::optional<std::string> backing = {}) {
  CreateOptions o{.name = name, .format = ImageFormat::Qcow2, .size = size};
  if (backing) {
    o.backing_file = backing;
    o.backing_format = ImageFormat::Qcow2;
  }
  return o;
}

IoStep write(const std::string& image, u64 off, u64 len, std::uint8_t pattern) {
  GuestOp op;
  op.kind = OpKind::Write;
  op.offset = off;
  op.length = len;
  op.pattern = pattern;
  return IoStep{GraphSpec::of_image(image), op};
}

Scenario exported(std::vector<Step> steps, const std::string& image) {
  Scenario sc;
  sc.steps = std::move(steps);
  sc.export_spec = ExportSpec{GraphSpec::of_image(image)};
  sc.queries = {Query::ImgMap, Query::BaseAllocation, Query::AllocationDepth, Query::Content};
  return sc;
}

TEST(ReproducerReplayLive, IntermediateCommitReplaysClean) {
  Scenario sc = exported({CreateStep{qcow2("base.qcow2", 1 << 20)}, write("base.qcow2", 0, 128 << 10, 1),
                          CreateStep{qcow2("mid.qcow2", {}, "base.qcow2")}, write("mid.qcow2", 64 << 10, 128 << 10, 2),
                          CreateStep{qcow2("top.qcow2", {}, "mid.qcow2")}, write("top.qcow2", 512 << 10, 64 << 10, 3),
                          BlockCommitStep{{.overlay = "top.qcow2", .top = "mid.qcow2"}}},
                         "top.qcow2");
  Verdicts v = expect_same_verdict(sc, "modelled: block-");
  EXPECT_TRUE(v.campaign.empty()) << v.report;
}

// KF-035 through a reproducer: the daemon aborts in the stream, both verdicts name it.
TEST(ReproducerReplayLive, StreamAbortReplaysAsKnownFindingKF035) {
  CreateOptions top = qcow2("top.qcow2", {}, "base.qcow2");
  top.extended_l2 = true;
  Scenario sc = exported({CreateStep{qcow2("base.qcow2", 1 << 20)}, write("base.qcow2", 0, 1 << 20, 1),
                          CreateStep{top}, write("top.qcow2", 0, 2048, 2), StreamStep{{.image = "top.qcow2"}}},
                         "top.qcow2");
  Verdicts v = expect_same_verdict(sc, "modelled: block-");
  EXPECT_TRUE(v.repro.count("KF-035")) << v.report;
}

}  // namespace
}  // namespace chaincheck::oracle
