// The oracle's judgement of a chain rebuild (seed 004), and the campaign's --rebuild path.
#include "oracle/rebuild_check.hpp"

#include <gtest/gtest.h>

#include "oracle/campaign.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

RebuildObservation observation(std::vector<ByteRange> base_allocation_wrong, std::vector<ByteRange> depth_wrong) {
  RebuildObservation o;
  o.chain = {"base.raw", "top.qcow2"};
  o.step_errors = {"", ""};
  o.results = {RebuildResult{RebuildStrategy::BaseAllocation, {}, std::move(base_allocation_wrong), ""},
               RebuildResult{RebuildStrategy::AllocationDepth, {}, std::move(depth_wrong), ""}};
  return o;
}

TEST(JudgeRebuild, PredictedWrongBytesSeenForRealAreNoFinding) {
  EXPECT_TRUE(judge_rebuild(observation({{131072, 65536}}, {}), observation({{131072, 65536}}, {})).empty());
}

TEST(JudgeRebuild, AWrongByteWithAllocationDepthIsAContentFindingAtTheFirstWrongByte) {
  auto f = judge_rebuild(observation({}, {}), observation({}, {{4096, 512}, {8192, 512}}));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].cls, FindingClass::Content);
  EXPECT_EQ(f[0].rule, "rebuild-with-allocation-depth-differs");
  EXPECT_EQ(f[0].offset, 4096u);
  EXPECT_EQ(f[0].length, 512u);
}

TEST(JudgeRebuild, BaseAllocationWrongElsewhereThanPredictedIsAModelDivergenceAtTheFirstMismatch) {
  auto f = judge_rebuild(observation({{131072, 65536}}, {}), observation({{131072, 131072}}, {}));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].cls, FindingClass::ModelDivergence);
  EXPECT_EQ(f[0].rule, "rebuild-base-allocation-wrong-bytes");
  EXPECT_EQ(f[0].offset, 196608u);
  EXPECT_EQ(f[0].length, 65536u);
}

TEST(JudgeRebuild, ARefusedStepOrAFailedRebuildIsNotJudged) {
  RebuildObservation refused = observation({}, {});
  refused.step_errors[1] = "qemu-img: refused";
  EXPECT_TRUE(judge_rebuild(observation({{0, 512}}, {}), refused).empty());
  RebuildObservation failed = observation({}, {{0, 1}});
  failed.error = "qemu-nbd did not start";
  EXPECT_TRUE(judge_rebuild(observation({}, {}), failed).empty());
}

// A rebuilder that loses the first 512 bytes of every allocation-depth rebuild.
class LossyRebuilder : public ChainRebuilder {
 public:
  std::string name() const override { return "lossy"; }
  RebuildObservation rebuild(const Scenario& s, const std::vector<RebuildStrategy>& st,
                             const RebuildTarget& t) override {
    RebuildObservation o = ModelRebuilder().rebuild(s, st, t);
    for (auto& r : o.results)
      if (r.strategy == RebuildStrategy::AllocationDepth) r.wrong = {{0, 512}};
    return o;
  }
};

TEST(Campaign, RebuildOptionReportsAWrongRebuildOnlyForChains) {
  CampaignOptions o;
  o.seed = 5;
  o.count = 30;
  o.minimize = false;
  o.make_rebuilder = [] { return std::make_unique<LossyRebuilder>(); };
  CampaignSummary s = run_campaign(o, [] { return std::make_unique<ModelSystem>(); }, Registry{});
  ASSERT_EQ(s.findings.size(), 1u);
  EXPECT_EQ(s.findings[0].finding.rule, "rebuild-with-allocation-depth-differs");
  EXPECT_TRUE(has_rebuild_chain(s.findings[0].scenario));
}

TEST(Campaign, RebuildOptionWithTheModelsOwnRebuilderFindsNothing) {
  CampaignOptions o;
  o.seed = 5;
  o.count = 30;
  o.make_rebuilder = [] { return std::make_unique<ModelRebuilder>(); };
  CampaignSummary s = run_campaign(o, [] { return std::make_unique<ModelSystem>(); }, Registry{});
  EXPECT_TRUE(s.findings.empty()) << describe(s.findings.at(0).finding);
}

}  // namespace
}  // namespace chaincheck::oracle
