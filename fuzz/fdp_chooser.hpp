// The scenario generator driven by libFuzzer bytes.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include "model/generate/scenario_generator.hpp"

namespace chaincheck::fuzz {

class FdpChooser : public model::Chooser {
 public:
  explicit FdpChooser(FuzzedDataProvider& p) : p_(p) {}
  model::u64 range(model::u64 lo, model::u64 hi) override { return p_.ConsumeIntegralInRange<model::u64>(lo, hi); }

 private:
  FuzzedDataProvider& p_;
};

}  // namespace chaincheck::fuzz
