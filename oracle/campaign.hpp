// The differential campaign: random scenarios from a seed, each answered by the model and
// by a system under test, judged; new findings minimised and written as reproducers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "model/scenario/model_system.hpp"
#include "model/scenario/rebuild.hpp"
#include "model/generate/scenario_generator.hpp"
#include "oracle/judge.hpp"
#include "oracle/registry.hpp"

namespace chaincheck::oracle {

struct CampaignOptions {
  std::uint64_t seed = 1;
  std::optional<std::uint64_t> count;
  std::optional<double> seconds;
  unsigned jobs = 1;
  model::GeneratorConfig generator;
  bool minimize = true;
  unsigned minimize_budget = 60;
  model::ModelFaults model_faults;  // test-only: a deliberately wrong model
  // Set: every scenario with a chain of 2+ layers is also rebuilt (oracle/rebuild_check).
  std::function<std::unique_ptr<model::ChainRebuilder>()> make_rebuilder;
  // Set: every scenario with an export also asks the NbdkitBlocksize query.
  bool nbdkit_second_server = false;
};

struct FindingRecord {
  Finding finding;                 // as shown by the (minimised) reproducer
  model::Scenario scenario;        // the minimised scenario
  std::uint64_t original_steps = 0;
  unsigned occurrences = 0;
  model::Observation predicted, observed;
  std::string reproducer;          // the transcript text
  std::string reproducer_path;     // set by the report writer
};

struct CampaignProgress {
  std::uint64_t scenarios = 0;
  std::uint64_t errors = 0;  // scenarios the system could not run
  unsigned new_findings = 0;
  unsigned known_findings = 0;
  double seconds = 0;
};

struct CampaignSummary {
  CampaignProgress progress;
  std::uint64_t seed = 0;
  std::vector<FindingRecord> findings;  // one per signature
  std::map<std::string, std::uint64_t> imprecisions;  // interface -> count
  std::map<std::string, std::string> versions;
  std::vector<std::string> errors;  // first few system errors
};

using SystemFactory = std::function<std::unique_ptr<model::SystemUnderTest>()>;
using ProgressFn = std::function<void(const CampaignProgress&)>;

// The seed of scenario `index` of a campaign seeded with `seed` (splitmix64).
std::uint64_t scenario_seed(std::uint64_t seed, std::uint64_t index);

// Judge one scenario: the model's prediction against `system`'s observation.
struct ScenarioResult {
  model::Observation predicted, observed;
  Verdict verdict;
};
// With a rebuilder, the chain-rebuild check's findings are added to the verdict.
ScenarioResult judge_scenario(const model::Scenario& s, model::SystemUnderTest& system,
                              const model::ModelFaults& faults = {}, model::ChainRebuilder* rebuilder = nullptr);

CampaignSummary run_campaign(const CampaignOptions& options, const SystemFactory& make_system,
                             const Registry& registry, const ProgressFn& progress = {},
                             const std::atomic<bool>* stop = nullptr);

}  // namespace chaincheck::oracle
