// The scenario generator driven by RapidCheck: every choice is a shrinkable inRange.
#pragma once

#include <rapidcheck.h>

#include "model/generate/scenario_generator.hpp"

namespace chaincheck::model::testing {

class RcChooser : public Chooser {
 public:
  u64 range(u64 lo, u64 hi) override { return *rc::gen::inRange<u64>(lo, hi + 1); }
};

}  // namespace chaincheck::model::testing
