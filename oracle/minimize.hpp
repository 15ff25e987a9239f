// Minimise a scenario while it still shows a finding: fewer operations, filters and
// layers; smaller images, offsets and lengths snapped to boundaries.
#pragma once

#include <functional>

#include "model/scenario/scenario.hpp"

namespace chaincheck::oracle {

// True when the candidate still shows the finding being minimised.
using StillFails = std::function<bool(const model::Scenario&)>;

struct MinimizeStats {
  unsigned tries = 0;
  unsigned accepted = 0;
};

// Greedy passes until nothing shrinks or `max_tries` candidates were run.
model::Scenario minimize(model::Scenario s, const StillFails& still_fails, unsigned max_tries = 80,
                         MinimizeStats* stats = nullptr);

// Candidate simplifications of a scenario, simplest-first (exposed for tests).
std::vector<model::Scenario> simplifications(const model::Scenario& s);

}  // namespace chaincheck::oracle
