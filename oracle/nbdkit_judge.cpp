#include "oracle/nbdkit_judge.hpp"

#include <algorithm>

namespace chaincheck::oracle {

std::vector<Finding> nbdkit_findings(const model::Observation& predicted, const model::Observation& observed,
                                     const JudgeContext& ctx, Verdict& qemu_verdict) {
  std::vector<Finding> out;
  if (!predicted.nbdkit || !observed.nbdkit) return out;
  bool qemu_wrong = std::any_of(qemu_verdict.findings.begin(), qemu_verdict.findings.end(), [](const Finding& f) {
    for (const auto& i : f.interfaces)
      if (i == "base:allocation" || i == "read") return true;
    return false;
  });
  model::Observation p, o;
  p.nbd = predicted.nbdkit;
  p.content = predicted.nbdkit_content;
  o.nbd = observed.nbdkit;
  o.content = observed.nbdkit_content;
  o.versions = observed.versions;
  JudgeContext c = ctx;
  c.graph = kNbdkitGraph;
  c.where = "nbdkit over " + (ctx.graph.empty() ? std::string("the export") : ctx.graph);
  Verdict v = judge(p, o, c);
  for (Finding& f : v.findings) {
    if (qemu_wrong && f.cls != FindingClass::NbdSpec) continue;
    f.interfaces.push_back(kNbdkitInterface);
    out.push_back(std::move(f));
  }
  for (auto& i : v.imprecisions) {
    i.interface = std::string(kNbdkitInterface) + " " + i.interface;
    qemu_verdict.imprecisions.push_back(std::move(i));
  }
  return out;
}

}  // namespace chaincheck::oracle
