// The chain-rebuild property, live: over generated chains biased to zeroed clusters over
// backing data (discards, partial writes, extended L2, raw bases), a real rebuild from
// base:allocation + qemu:allocation-depth is exact and one from base:allocation alone is
// wrong at exactly the bytes the model predicts, whatever the fresh images' cluster size and
// however zeroes are sent (with/without NO_HOLE, qemu-nbd with/without --discard=unmap).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "impl/rebuild/qemu_rebuilder.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "model/generate/rebuild_generator.hpp"
#include "model/generate/tests/rc_chooser.hpp"
#include "oracle/rebuild_check.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;

const HostFs& host() {
  static const HostFs h = measure_host_fs();
  return h;
}

RC_GTEST_PROP(RebuildLiveProperties, RealRebuildsMatchTheModelForBothStrategies, ()) {
  model::testing::RcChooser c;
  Scenario s = generate_rebuild_scenario(c);
  s.host = host();
  RebuildTarget target = generate_rebuild_target(c);
  RC_TAG(describe(target));
  QemuRebuilder real;
  oracle::RebuildCheck check = oracle::check_rebuild(s, real, target);
  RC_ASSERT(check.observed.error == "");
  // The tools refuse exactly the steps the model refuses (a compressed write over an
  // allocated cluster: EIO); then the chains differ from the generated one: nothing to rebuild.
  RC_ASSERT(check.observed.step_errors.size() == check.predicted.step_errors.size());
  bool refused = false;
  for (std::size_t i = 0; i < check.observed.step_errors.size(); ++i) {
    RC_ASSERT(check.observed.step_errors[i].empty() == check.predicted.step_errors[i].empty());
    refused |= !check.observed.step_errors[i].empty();
  }
  RC_TAG(refused ? "a step refused as predicted" : "every step ran");
  if (refused) return;
  for (const auto& f : check.findings) RC_FAIL(oracle::describe(f) + "\n  expected: " + f.expected + "\n  observed: " + f.observed);
  for (const auto& r : check.observed.results) {
    RC_ASSERT(r.error == "");
    if (r.strategy == RebuildStrategy::AllocationDepth) RC_ASSERT(r.wrong.empty());
    else RC_TAG(r.wrong.empty() ? "base:allocation exact" : "base:allocation wrong");
  }
}

}  // namespace
}  // namespace chaincheck::impl
