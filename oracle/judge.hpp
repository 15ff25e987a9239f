// The oracle: compare the model's prediction with what the real stack said, and classify
// every disagreement as exactly one of nbd-spec, content, cross-interface, model-divergence.
#pragma once

#include "model/scenario/observation.hpp"
#include "oracle/finding.hpp"

namespace chaincheck::oracle {

struct JudgeContext {
  std::string graph;       // the exported graph, described
  unsigned layers = 0;     // COW layers in the exported graph (allocation depth range)
  std::string where = "export";
};

Verdict judge(const model::Observation& predicted, const model::Observation& observed,
              const JudgeContext& ctx);

// Pieces, exposed for tests and the fuzzers.
std::vector<Finding> spec_findings(const model::NbdObservation& nbd, const JudgeContext& ctx);
std::vector<Finding> content_findings(const model::Observation& observed);
std::vector<Finding> cross_interface_findings(const model::Observation& observed);

}  // namespace chaincheck::oracle
