#include "oracle/rebuild_check.hpp"

namespace chaincheck::oracle {

using namespace chaincheck::model;

namespace {

std::vector<std::string> interfaces_of(RebuildStrategy st) {
  if (st == RebuildStrategy::BaseAllocation) return {"base:allocation", "rebuild"};
  return {"base:allocation", "qemu:allocation-depth", "rebuild"};
}

std::string chain_text(const RebuildObservation& o) {
  std::string s;
  for (std::size_t i = o.chain.size(); i-- > 0;) s += o.chain[i] + (i ? " > " : "");
  return s;
}

bool steps_failed(const RebuildObservation& o) {
  for (const auto& e : o.step_errors)
    if (!e.empty()) return true;
  return false;
}

}  // namespace

std::vector<Finding> judge_rebuild(const RebuildObservation& predicted, const RebuildObservation& observed) {
  std::vector<Finding> out;
  if (!predicted.error.empty() || !observed.error.empty()) return out;
  // A step one side refused makes different chains: the scenario judge reports that.
  if (steps_failed(predicted) || steps_failed(observed)) return out;
  for (std::size_t i = 0; i < observed.results.size() && i < predicted.results.size(); ++i) {
    const RebuildResult& p = predicted.results[i];
    const RebuildResult& o = observed.results[i];
    if (!p.error.empty() || !o.error.empty() || p.strategy != o.strategy) continue;
    Finding f;
    f.interfaces = interfaces_of(o.strategy);
    f.where = std::string("rebuild (") + to_string(o.strategy) + ")";
    f.graph = chain_text(observed);
    if (o.strategy == RebuildStrategy::AllocationDepth && !o.wrong.empty()) {
      // Seed 004: "local" + HOLE/ZERO says exactly what to write; a wrong byte means a
      // context promised something the guest content contradicts.
      f.cls = FindingClass::Content;
      f.rule = "rebuild-with-allocation-depth-differs";
      f.offset = o.wrong.front().start;
      f.length = o.wrong.front().length;
      f.expected = "the rebuilt chain reads like the original";
      f.observed = "differs at " + describe(o.wrong);
      f.summary = "a chain rebuilt from base:allocation + qemu:allocation-depth differs from the original at byte " +
                  std::to_string(f.offset);
      out.push_back(f);
      continue;
    }
    std::vector<ByteRange> diff = symmetric_difference(p.wrong, o.wrong);
    if (diff.empty()) continue;
    f.cls = FindingClass::ModelDivergence;
    f.rule = std::string("rebuild-") + to_string(o.strategy) + "-wrong-bytes";
    f.offset = diff.front().start;
    f.length = diff.front().length;
    f.expected = "wrong at " + describe(p.wrong);
    f.observed = "wrong at " + describe(o.wrong);
    f.summary = std::string("a rebuild from ") + (o.strategy == RebuildStrategy::BaseAllocation
                                                      ? "base:allocation alone"
                                                      : "base:allocation + qemu:allocation-depth") +
                " is wrong at other bytes than the model predicts (first: " + std::to_string(f.offset) + ")";
    out.push_back(f);
  }
  return out;
}

RebuildCheck check_rebuild(const Scenario& s, ChainRebuilder& real, const RebuildTarget& target) {
  RebuildCheck c;
  ModelRebuilder model;
  c.predicted = model.rebuild(s, all_rebuild_strategies(), target);
  c.observed = real.rebuild(s, all_rebuild_strategies(), target);
  c.findings = judge_rebuild(c.predicted, c.observed);
  return c;
}

bool has_rebuild_chain(const Scenario& s) { return rebuild_chain(s).size() >= 2; }

}  // namespace chaincheck::oracle
