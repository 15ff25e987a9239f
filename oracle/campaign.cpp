#include "oracle/campaign.hpp"

#include <mutex>
#include <thread>

#include "oracle/minimize.hpp"
#include "oracle/rebuild_check.hpp"
#include "oracle/reproducer_writer.hpp"

namespace chaincheck::oracle {

using namespace chaincheck::model;

std::uint64_t scenario_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

ScenarioResult judge_scenario(const Scenario& s, SystemUnderTest& system, const ModelFaults& faults,
                              ChainRebuilder* rebuilder) {
  ScenarioResult r;
  ModelSystem model(faults);
  r.predicted = model.run(s);
  r.observed = system.run(s);
  JudgeContext ctx;
  if (s.export_spec) {
    ctx.graph = describe(s.export_spec->graph);
    try {
      Graph g = build_graph(model.state(), s.export_spec->graph);
      ctx.layers = static_cast<unsigned>(cow_layers(g, g.root).size());
    } catch (const std::exception&) {
      ctx.layers = 0;
    }
  }
  r.verdict = judge(r.predicted, r.observed, ctx);
  if (rebuilder && r.observed.error.empty() && has_rebuild_chain(s)) {
    for (Finding f : check_rebuild(s, *rebuilder).findings) {
      f.versions = r.observed.versions;
      r.verdict.findings.push_back(f);
    }
  }
  return r;
}

namespace {

bool shows(const Verdict& v, const std::string& signature) {
  for (const Finding& f : v.findings)
    if (f.signature() == signature) return true;
  return false;
}

}  // namespace

CampaignSummary run_campaign(const CampaignOptions& o, const SystemFactory& make_system, const Registry& registry,
                             const ProgressFn& progress, const std::atomic<bool>* stop) {
  CampaignSummary summary;
  summary.seed = o.seed;
  std::mutex mu;
  std::map<std::string, std::size_t> by_signature;
  std::atomic<std::uint64_t> next{0};
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  auto done = [&](std::uint64_t index) {
    if (stop && stop->load()) return true;
    if (o.count && index >= *o.count) return true;
    if (o.seconds && elapsed() >= *o.seconds) return true;
    return !o.count && !o.seconds && index >= 100;  // neither given: a short default
  };

  auto worker = [&] {
    std::unique_ptr<SystemUnderTest> system = make_system();
    std::unique_ptr<ChainRebuilder> rebuilder = o.make_rebuilder ? o.make_rebuilder() : nullptr;
    for (;;) {
      std::uint64_t index = next.fetch_add(1);
      if (done(index)) return;
      std::uint64_t seed = scenario_seed(o.seed, index);
      RandomChooser chooser(seed);
      Scenario s = generate_scenario(chooser, o.generator);
      s.seed = seed;
      s.name = "scenario-" + std::to_string(index);
      if (o.nbdkit_second_server && s.export_spec) s.queries.push_back(Query::NbdkitBlocksize);
      if (auto h = system->host()) s.host = *h;
      ScenarioResult r = judge_scenario(s, *system, o.model_faults, rebuilder.get());
      registry.classify(r.verdict.findings);

      std::vector<Finding> fresh;
      {
        std::lock_guard<std::mutex> lock(mu);
        summary.progress.scenarios++;
        if (!r.observed.error.empty()) {
          summary.progress.errors++;
          if (summary.errors.size() < 5) summary.errors.push_back(s.name + ": " + r.observed.error);
        }
        if (summary.versions.empty()) summary.versions = r.observed.versions;
        for (const auto& imp : r.verdict.imprecisions) summary.imprecisions[imp.interface]++;
        for (const Finding& f : r.verdict.findings) {
          // One record per signature and known entry (two causes may share a signature).
          std::string key = f.signature() + "|" + f.known_id;
          auto it = by_signature.find(key);
          if (it != by_signature.end()) {
            summary.findings[it->second].occurrences++;
            continue;
          }
          by_signature[key] = summary.findings.size();
          FindingRecord rec;
          rec.finding = f;
          rec.scenario = s;
          rec.original_steps = s.steps.size();
          rec.occurrences = 1;
          rec.predicted = r.predicted;
          rec.observed = r.observed;
          summary.findings.push_back(rec);
          (f.known ? summary.progress.known_findings : summary.progress.new_findings)++;
          fresh.push_back(f);
        }
        summary.progress.seconds = elapsed();
        if (progress) progress(summary.progress);
      }
      // Minimise new findings outside the lock, on this worker's own system.
      for (const Finding& f : fresh) {
        Scenario small = s;
        if (o.minimize && !f.known) {
          std::string sig = f.signature();
          small = minimize(s, [&](const Scenario& c) {
            if (stop && stop->load()) return false;
            ScenarioResult cr = judge_scenario(c, *system, o.model_faults, rebuilder.get());
            return shows(cr.verdict, sig);
          }, o.minimize_budget);
        }
        ScenarioResult final_run = judge_scenario(small, *system, o.model_faults, rebuilder.get());
        if (!shows(final_run.verdict, f.signature())) {
          // Not reproducible in its minimised form (a flaky shrink): keep the original.
          small = s;
          final_run = judge_scenario(small, *system, o.model_faults, rebuilder.get());
        }
        registry.classify(final_run.verdict.findings);
        std::lock_guard<std::mutex> lock(mu);
        FindingRecord& rec = summary.findings[by_signature[f.signature() + "|" + f.known_id]];
        rec.scenario = small;
        for (const Finding& g : final_run.verdict.findings)
          if (g.signature() == f.signature()) {
            rec.finding = g;
            break;
          }
        rec.predicted = final_run.predicted;
        rec.observed = final_run.observed;
        rec.reproducer = reproducer_script(small, rec.finding);
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < std::max(1u, o.jobs); ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  summary.progress.seconds = elapsed();
  return summary;
}

}  // namespace chaincheck::oracle
