// The chain-rebuild property (seed 004), judged: a rebuild from base:allocation +
// qemu:allocation-depth must give back the original guest content, and what a rebuild from
// base:allocation alone gets wrong must be exactly the bytes the model predicts.
#pragma once

#include "model/scenario/rebuild.hpp"
#include "oracle/finding.hpp"

namespace chaincheck::oracle {

// The findings of a real rebuild against the model's prediction (both for the same
// strategies, in the same order). No finding when either side could not rebuild.
std::vector<Finding> judge_rebuild(const model::RebuildObservation& predicted,
                                   const model::RebuildObservation& observed);

struct RebuildCheck {
  model::RebuildObservation predicted, observed;
  std::vector<Finding> findings;
};
// Predict with the model, rebuild with `real`, judge. Every strategy is run.
RebuildCheck check_rebuild(const model::Scenario& s, model::ChainRebuilder& real,
                           const model::RebuildTarget& target = {});

// Whether a scenario has a chain worth rebuilding (two layers or more).
bool has_rebuild_chain(const model::Scenario& s);

}  // namespace chaincheck::oracle
