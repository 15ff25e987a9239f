#include "oracle/transcript_replay_rebuild.hpp"

#include "oracle/rebuild_check.hpp"

namespace chaincheck::oracle {

using namespace chaincheck::model;

namespace {

const char* strategy_text(RebuildStrategy s) {
  return s == RebuildStrategy::BaseAllocation ? "(a) base:allocation alone"
                                              : "(b) base:allocation + qemu:allocation-depth";
}

std::string outcome_text(const RebuildResult& r) {
  if (!r.error.empty()) return "not rebuilt: " + r.error;
  if (!r.first_wrong()) return "exact";
  return "first differing byte " + std::to_string(*r.first_wrong()) + "; differing " + describe(r.wrong);
}

const RebuildResult* result_for(const RebuildObservation& o, RebuildStrategy s) {
  for (const auto& r : o.results)
    if (r.strategy == s) return &r;
  return nullptr;
}

std::string chain_text(const std::vector<std::string>& chain) {
  std::string s;
  for (const auto& c : chain) s += (s.empty() ? "" : " > ") + c;
  return s;
}

}  // namespace

void run_rebuild_checks(ReproReport& report, ChainRebuilder& real, const Registry& registry) {
  for (const ReproRebuildRequest& req : report.rebuild_requests) {
    ReproRebuild r;
    r.request = req;
    if (!has_rebuild_chain(req.scenario)) {
      r.note = "not rebuilt: " + req.image + " has no backing chain";
      report.rebuilds.push_back(std::move(r));
      continue;
    }
    RebuildCheck c = check_rebuild(req.scenario, real);
    r.predicted = std::move(c.predicted);
    r.observed = std::move(c.observed);
    r.findings = std::move(c.findings);
    for (const std::string* e : {&r.predicted.error, &r.observed.error})
      if (!e->empty() && r.note.empty()) r.note = "not rebuilt: " + *e;
    for (Finding& f : r.findings) {
      f.where = "line " + std::to_string(req.line) + ", " + f.where;
      f.versions = report.versions;
    }
    registry.classify(r.findings);
    report.rebuilds.push_back(std::move(r));
  }
}

std::vector<std::string> rebuild_text(const ReproRebuild& r) {
  std::vector<std::string> out;
  const auto& chain = r.observed.chain.empty() ? r.predicted.chain : r.observed.chain;
  out.push_back("rebuild of " + r.request.image + " exported alone (line " + std::to_string(r.request.line) +
                ")" + (chain.empty() ? std::string() : ", over its chain " + chain_text(chain)) + " (seed 004):");
  if (!r.note.empty()) {
    out.push_back("  " + r.note);
    return out;
  }
  for (RebuildStrategy s : all_rebuild_strategies()) {
    const RebuildResult* o = result_for(r.observed, s);
    const RebuildResult* p = result_for(r.predicted, s);
    out.push_back(std::string("  ") + strategy_text(s) + ": " + (o ? outcome_text(*o) : "not run") +
                  " (model: " + (p ? outcome_text(*p) : "not run") + ")");
  }
  return out;
}

nlohmann::json rebuild_json(const ReproRebuild& r) {
  nlohmann::json strategies = nlohmann::json::array();
  for (RebuildStrategy s : all_rebuild_strategies()) {
    auto first = [&](const RebuildObservation& ob) {
      const RebuildResult* x = result_for(ob, s);
      return x && x->first_wrong() ? nlohmann::json(*x->first_wrong()) : nlohmann::json();
    };
    strategies.push_back({{"strategy", to_string(s)}, {"first_wrong", first(r.observed)}, {"model_first_wrong", first(r.predicted)}});
  }
  nlohmann::json j = {{"image", r.request.image}, {"line", r.request.line}, {"chain", r.observed.chain},
                      {"strategies", strategies}};
  if (!r.note.empty()) j["note"] = r.note;
  return j;
}

}  // namespace chaincheck::oracle
