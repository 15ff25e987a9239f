// The chain-rebuild property on the model (seed 004), over chains biased to zeroed
// clusters over backing data: base:allocation + qemu:allocation-depth rebuilds exactly;
// base:allocation alone goes wrong only where the original reads zero and the backing
// shows through.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "model/chain.hpp"
#include "model/model_system.hpp"
#include "model/rebuild.hpp"
#include "model/rebuild_generator.hpp"
#include "model/tests/rc_chooser.hpp"

namespace chaincheck::model::testing {
namespace {

RC_GTEST_PROP(RebuildProperties, AllocationDepthRebuildsEveryChainExactly, ()) {
  RcChooser c;
  Scenario sc = generate_rebuild_scenario(c);
  RebuildTarget target = generate_rebuild_target(c);
  ModelRebuilder m;
  RebuildObservation o = m.rebuild(sc, {RebuildStrategy::AllocationDepth}, target);
  RC_ASSERT(o.error.empty());
  RC_ASSERT(o.results.at(0).error.empty());
  RC_ASSERT(o.results.at(0).wrong.empty());
}

RC_GTEST_PROP(RebuildProperties, BaseAllocationAloneIsWrongOnlyWhereTheOriginalReadsZero, ()) {
  RcChooser c;
  Scenario sc = generate_rebuild_scenario(c);
  ModelState s;
  for (const Step& step : sc.steps) apply_step(s, step);
  std::vector<std::string> chain = rebuild_chain(sc);
  RebuildResult r = predict_rebuild(s, chain, RebuildStrategy::BaseAllocation, generate_rebuild_target(c));
  RC_ASSERT(r.error.empty());
  Graph g = open_image(s, chain.back());
  for (const ByteRange& w : r.wrong) RC_ASSERT(reads_as_zero(s, g, g.root, w.start, w.length));
  RC_TAG(r.wrong.empty() ? "exact" : "wrong");
}

}  // namespace
}  // namespace chaincheck::model::testing
