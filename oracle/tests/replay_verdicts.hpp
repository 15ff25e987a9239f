// For live tests that a campaign scenario and its reproducer agree: the verdict the campaign
// reaches (judge_scenario on the real stack) and the one `chaincheck repro` reaches replaying
// the reproducer's transcript, each as a set of known ids (or "new RULE").
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "impl/scenario/qemu_system.hpp"
#include "impl/transcript/transcript_runner.hpp"
#include "oracle/campaign.hpp"
#include "oracle/registry.hpp"
#include "oracle/transcript_replay.hpp"
#include "oracle/reproducer_writer.hpp"

namespace chaincheck::oracle::testing {

inline std::set<std::string> verdict_of(const std::vector<Finding>& findings) {
  std::set<std::string> out;
  for (const Finding& f : findings) out.insert(f.known ? f.known_id : "new " + f.rule);
  return out;
}

struct Verdicts {
  std::set<std::string> campaign, repro;
  std::string transcript, report;
};

inline Verdicts campaign_and_replay(const model::Scenario& sc) {
  Registry registry = Registry::load(default_registry_dir());
  impl::QemuSystem system;
  ScenarioResult r = judge_scenario(sc, system);
  registry.classify(r.verdict.findings);
  Verdicts v;
  v.campaign = verdict_of(r.verdict.findings);
  v.transcript = scenario_to_transcript(sc);
  auto commands = impl::parse_transcript(v.transcript);
  impl::TranscriptRun run = impl::run_transcript(commands);
  ReproReport report = judge_transcript(commands, run, registry);
  std::vector<Finding> all;
  for (const auto& l : report.lines) all.insert(all.end(), l.findings.begin(), l.findings.end());
  v.repro = verdict_of(all);
  v.report = render_text(report, true);
  return v;
}

// The verdicts agree, the replay modelled `modelled_note`, and (when clean) the queries after
// it were compared, not skipped as stale.
inline Verdicts expect_same_verdict(const model::Scenario& sc, const std::string& modelled_note) {
  Verdicts v = campaign_and_replay(sc);
  EXPECT_EQ(v.campaign, v.repro) << v.transcript << "\n" << v.report;
  EXPECT_NE(v.report.find(modelled_note), std::string::npos) << v.report;
  if (v.campaign.empty()) {
    EXPECT_EQ(v.report.find("stale"), std::string::npos) << v.report;
  }
  return v;
}

}  // namespace chaincheck::oracle::testing
