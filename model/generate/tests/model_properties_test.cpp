// Properties of the model over generated chains, filters and operation sequences.
// ctest runs each with RC_PARAMS=max_success=1000 (see CMakeLists.txt).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "model/scenario/model_system.hpp"
#include "model/semantics/rounding.hpp"
#include "model/scenario/scenario_json.hpp"
#include "model/generate/tests/rc_chooser.hpp"

namespace chaincheck::model::testing {
namespace {

struct Generated {
  Scenario scenario;
  ModelState state;
  Graph graph;
  u64 length = 0;
};

Generated generate() {
  RcChooser c;
  Generated g;
  g.scenario = generate_scenario(c);
  RC_LOG() << to_json(g.scenario).dump() << "\n";
  ModelSystem m;
  m.run(g.scenario);
  g.state = m.state();
  g.graph = build_graph(g.state, g.scenario.export_spec->graph);
  g.length = node_length(g.state, g.graph, g.graph.root);
  RC_TAG(cow_layers(g.graph, g.graph.root).size(), g.graph.node(g.graph.root).kind != NodeKind::Image);
  return g;
}

void assert_tiles(const std::vector<StatusExtent>& ex, u64 start, u64 end) {
  u64 pos = start;
  for (const StatusExtent& e : ex) {
    RC_ASSERT(e.start == pos);
    RC_ASSERT(e.status.pnum > 0u);
    pos = e.end();
  }
  RC_ASSERT(pos == end);
}

RC_GTEST_PROP(ModelProperties, StatusExtentsTileTheQueriedRangeExactly, ()) {
  Generated g = generate();
  assert_tiles(status_extents(g.state, g.graph, g.graph.root, 0, g.length), 0, g.length);
  u64 a = *rc::gen::inRange<u64>(0, g.length + 1);
  u64 b = *rc::gen::inRange<u64>(a, g.length + 1);
  assert_tiles(status_extents(g.state, g.graph, g.graph.root, a, b - a), a, b);
}

RC_GTEST_PROP(ModelProperties, ProjectionsAgreeWithTheCoreStatus, ()) {
  Generated g = generate();
  auto layers = cow_layers(g.graph, g.graph.root).size();
  for (const StatusExtent& e : status_extents(g.state, g.graph, g.graph.root, 0, g.length)) {
    const BlockStatus& st = e.status;
    std::uint32_t base = context_value(NbdContext::BaseAllocation, st);
    RC_ASSERT(((base & kNbdHole) != 0) == !(st.flags & kData));
    RC_ASSERT(((base & kNbdZero) != 0) == ((st.flags & kZero) != 0));
    RC_ASSERT(st.depth <= layers);
    RC_ASSERT((st.depth == 0) == !(st.flags & kAllocated));
    RC_ASSERT(st.layer < layers);
    // ALLOCATED is never alone: a layer that owns the range says data or zero.
    if (st.flags & kAllocated) RC_ASSERT((st.flags & (kData | kZero)) != 0u);
  }
  for (const MapEntry& m : qemu_img_map(g.state, g.graph)) {
    RC_ASSERT(m.length > 0u);
    RC_ASSERT(m.depth >= 0);
    RC_ASSERT(static_cast<std::size_t>(m.depth) < layers);
  }
}

RC_GTEST_PROP(ModelProperties, ZeroFlagAndAbsenceMeanTheBytesReadZero, ()) {
  Generated g = generate();
  for (const StatusExtent& e : status_extents(g.state, g.graph, g.graph.root, 0, g.length)) {
    if (e.status.flags & kZero) RC_ASSERT(reads_as_zero(g.state, g.graph, g.graph.root, e.start, e.status.pnum));
    if (e.status.depth == 0) RC_ASSERT(reads_as_zero(g.state, g.graph, g.graph.root, e.start, e.status.pnum));
  }
}

RC_GTEST_PROP(ModelProperties, RoundingIsAlignedCoversAndObeysTheStickyLaws, ()) {
  Generated g = generate();
  u64 align = u64{512} << *rc::gen::inRange(0, 8);
  auto precise = status_extents(g.state, g.graph, g.graph.root, 0, g.length);
  auto rounded = round_sticky(precise, align, g.length);
  assert_tiles(rounded, 0, g.length);
  for (const StatusExtent& r : rounded) {
    RC_ASSERT(r.start % align == 0u);
    RC_ASSERT(r.end() % align == 0u || r.end() == g.length);
    // Check each aligned block of r against the precise pieces inside it.
    for (u64 blk = r.start; blk < r.end(); blk += align) {
      u64 blk_end = std::min(blk + align, g.length);
      bool any_data = false, any_alloc = false, all_zero = true;
      unsigned depth = 0;
      for (const StatusExtent& p : precise) {
        if (p.end() <= blk || p.start >= blk_end) continue;
        any_data |= (p.status.flags & kData) != 0;
        any_alloc |= (p.status.flags & kAllocated) != 0;
        all_zero &= (p.status.flags & kZero) != 0;
        if (p.status.depth && (!depth || p.status.depth < depth)) depth = p.status.depth;
      }
      RC_ASSERT(((r.status.flags & kData) != 0) == any_data);
      RC_ASSERT(((r.status.flags & kAllocated) != 0) == any_alloc);
      RC_ASSERT(((r.status.flags & kZero) != 0) == all_zero);
      RC_ASSERT(r.status.depth == depth);
    }
  }
}

RC_GTEST_PROP(ModelProperties, MergingContextsThenSplittingGivesEachBack, ()) {
  Generated g = generate();
  u64 min_block = *rc::gen::element<u64>(1, 512, 4096);
  auto base = nbd_extents(g.state, g.graph, NbdContext::BaseAllocation, 0, g.length, min_block);
  auto depth = nbd_extents(g.state, g.graph, NbdContext::AllocationDepth, 0, g.length, min_block);
  auto merged = merge_contexts({base, depth});
  RC_ASSERT(split_context(merged, 0) == base);
  RC_ASSERT(split_context(merged, 1) == depth);
  RC_ASSERT(joint_from_contexts(base, depth) ==
            nbd_extents(g.state, g.graph, NbdContext::JointAllocation, 0, g.length, min_block));
}

// merge_equal (in place) keeps every byte's value, drops empty extents and leaves no two
// touching neighbours with one value.
RC_GTEST_PROP(ModelProperties, MergeEqualKeepsEveryByteAndLeavesNoEqualNeighbours, ()) {
  std::vector<NbdExtent> in;
  u64 pos = *rc::gen::inRange<u64>(0, 100);
  u64 start = pos;
  std::vector<std::uint32_t> bytes;
  int n = *rc::gen::inRange(0, 12);
  for (int i = 0; i < n; ++i) {
    u64 len = *rc::gen::inRange<u64>(0, 5);
    std::uint32_t v = *rc::gen::inRange<std::uint32_t>(0, 3);
    in.push_back({pos, len, v});
    bytes.insert(bytes.end(), len, v);
    pos += len;
  }
  std::vector<NbdExtent> out = merge_equal(in);
  std::vector<std::uint32_t> back;
  u64 at = start;
  for (std::size_t i = 0; i < out.size(); ++i) {
    RC_ASSERT(out[i].start == at);
    RC_ASSERT(out[i].length > 0u);
    if (i > 0) RC_ASSERT(out[i].value != out[i - 1].value);
    back.insert(back.end(), out[i].length, out[i].value);
    at = out[i].end();
  }
  RC_ASSERT(back == bytes);
}

RC_GTEST_PROP(ModelProperties, TheModelIsDeterministic, ()) {
  RcChooser c;
  Scenario s = generate_scenario(c);
  ModelSystem a, b;
  Observation x = a.run(s), y = b.run(s);
  RC_ASSERT(x.step_errors == y.step_errors);
  RC_ASSERT(x.img_map == y.img_map);
  RC_ASSERT(context_extents(*x.nbd, "base:allocation") == context_extents(*y.nbd, "base:allocation"));
  RC_ASSERT(context_extents(*x.nbd, "qemu:allocation-depth") == context_extents(*y.nbd, "qemu:allocation-depth"));
  RC_ASSERT(x.content == y.content);
}

RC_GTEST_PROP(ModelProperties, ScenariosSurviveAJsonRoundTrip, ()) {
  RcChooser c;
  Scenario s = generate_scenario(c);
  Scenario back = scenario_from_json(to_json(s));
  RC_ASSERT(to_json(back) == to_json(s));
}

}  // namespace
}  // namespace chaincheck::model::testing
