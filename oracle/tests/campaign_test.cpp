#include "oracle/campaign.hpp"
#include "model/scenario/scenario_json.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "impl/transcript/transcript.hpp"
#include "oracle/report.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

SystemFactory model_as_system() {
  return [] { return std::make_unique<ModelSystem>(); };
}

// A deliberately wrong model rule (test-only switch): ZERO hides HOLE in base:allocation.
// The campaign must find the divergence within a bounded number of scenarios and shrink
// it to a small reproducer that chaincheck repro can read.
TEST(Campaign, FindsAndMinimisesAnInjectedModelFault) {
  CampaignOptions o;
  o.seed = 42;
  o.count = 60;
  o.model_faults.zero_hides_hole = true;
  CampaignSummary s = run_campaign(o, model_as_system(), Registry{});
  ASSERT_FALSE(s.findings.empty());
  const FindingRecord& r = s.findings[0];
  EXPECT_EQ(r.finding.cls, FindingClass::ModelDivergence);
  EXPECT_EQ(r.finding.rule, "base-allocation-flags");
  EXPECT_LE(r.scenario.steps.size(), 2u) << model::to_json(r.scenario).dump();
  EXPECT_LE(r.scenario.steps.size(), r.original_steps);
  auto cmds = impl::parse_transcript(r.reproducer);
  EXPECT_GE(cmds.size(), 2u);
}

TEST(Campaign, ModelAgainstItselfFindsNothing) {
  CampaignOptions o;
  o.seed = 7;
  o.count = 40;
  o.jobs = 2;
  CampaignSummary s = run_campaign(o, model_as_system(), Registry{});
  EXPECT_EQ(s.progress.scenarios, 40u);
  EXPECT_TRUE(s.findings.empty()) << describe(s.findings[0].finding);
}

TEST(Campaign, SeedMakesTheRunReproducible) {
  CampaignOptions o;
  o.seed = 9;
  o.count = 30;
  o.model_faults.filters_add_depth = true;
  o.minimize = false;
  auto a = run_campaign(o, model_as_system(), Registry{});
  auto b = run_campaign(o, model_as_system(), Registry{});
  ASSERT_EQ(a.findings.size(), b.findings.size());
  for (std::size_t i = 0; i < a.findings.size(); ++i) {
    EXPECT_EQ(a.findings[i].finding.signature(), b.findings[i].finding.signature());
    EXPECT_EQ(a.findings[i].scenario.seed, b.findings[i].scenario.seed);
  }
}

TEST(Report, WritesSummaryReproducersAndSvg) {
  CampaignOptions o;
  o.seed = 42;
  o.count = 30;
  o.model_faults.zero_hides_hole = true;
  CampaignSummary s = run_campaign(o, model_as_system(), Registry{});
  ASSERT_FALSE(s.findings.empty());
  auto dir = std::filesystem::temp_directory_path() / ("cc-report-test-" + std::to_string(::getpid()));
  write_report(s, dir);
  EXPECT_TRUE(std::filesystem::exists(dir / "summary.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "summary.md"));
  EXPECT_TRUE(std::filesystem::exists(dir / "findings/001.sh"));
  auto j = summary_json(s);
  EXPECT_EQ(j["findings"][0]["reproducer"], "findings/001.sh");
  EXPECT_EQ(j["findings"][0]["class"], "model-divergence");
  EXPECT_NE(finding_svg(s.findings[0]).find("<rect"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace chaincheck::oracle
