// The chain-rebuild property on the model (seed 004), over chains biased to zeroed
// clusters over backing data: base:allocation + qemu:allocation-depth rebuilds exactly;
// base:allocation alone goes wrong only where the original reads zero and the backing
// shows through.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "model/semantics/chain.hpp"
#include "model/scenario/model_system.hpp"
#include "model/scenario/rebuild.hpp"
#include "model/generate/rebuild_generator.hpp"
#include "model/generate/tests/rc_chooser.hpp"

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

// Seed 004's own words for two layers: wrong exactly where the top layer alone reports a
// local (depth 1) HOLE - a zeroed cluster - over backing bytes that are not zero.
RC_GTEST_PROP(RebuildProperties, BaseAllocationAloneIsWrongExactlyWhereALocalHoleHidesNonZeroBacking, ()) {
  RcChooser c;
  Scenario sc = generate_rebuild_scenario(c);
  std::vector<std::string> chain = rebuild_chain(sc);
  RC_PRE(chain.size() == 2u);
  ModelState s;
  for (const Step& step : sc.steps) apply_step(s, step);
  Graph top = open_image(s, chain[1], /*backing_null=*/true);
  Graph base = open_image(s, chain[0]);
  u64 len = node_length(s, top, top.root);
  auto merged = merge_contexts({nbd_extents(s, top, NbdContext::BaseAllocation, 0, len),
                                nbd_extents(s, top, NbdContext::AllocationDepth, 0, len)});
  std::vector<ByteRange> expected;
  u64 base_len = node_length(s, base, base.root);
  for (const MergedExtent& m : merged) {
    if (m.values[1] != 1 || !(m.values[0] & kNbdHole) || m.start >= base_len) continue;
    for (const auto& run : content(s, base, base.root, m.start, std::min(m.length, base_len - m.start))) {
      if (run.value == 0) continue;
      if (!expected.empty() && expected.back().end() == run.start) expected.back().length += run.length;
      else expected.push_back({run.start, run.length});
    }
  }
  RebuildResult r = predict_rebuild(s, chain, RebuildStrategy::BaseAllocation, generate_rebuild_target(c));
  RC_ASSERT(r.error.empty());
  RC_ASSERT(r.wrong == expected);
}

}  // namespace
}  // namespace chaincheck::model::testing
