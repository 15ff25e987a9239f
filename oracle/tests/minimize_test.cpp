// The minimiser's candidates: each is a smaller scenario, and making them never changes the
// scenario they came from (a finding keeps the scenario it was recorded with).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "model/scenario/scenario_json.hpp"
#include "model/generate/tests/rc_chooser.hpp"
#include "oracle/minimize.hpp"

namespace chaincheck::oracle::testing {
namespace {

using namespace chaincheck::model;

RC_GTEST_PROP(Minimizer, CandidatesLeaveTheirScenarioUnchanged, ()) {
  model::testing::RcChooser c;
  Scenario s = generate_scenario(c);
  nlohmann::json before = to_json(s);
  std::vector<Scenario> candidates = simplifications(s);
  RC_ASSERT(to_json(s) == before);
  // Candidates do not share parts either: editing one leaves the others as they were.
  if (candidates.size() < 2) return;
  nlohmann::json second = to_json(candidates[1]);
  for (Step& st : candidates[0].steps)
    if (auto* io = std::get_if<IoStep>(&st)) io->graph = GraphSpec::of_image("edited");
  if (candidates[0].export_spec) {
    GraphSpec* g = &candidates[0].export_spec->graph;
    while (g->child) g = g->child.get();
    g->image = "edited";
  }
  RC_ASSERT(to_json(candidates[1]) == second);
  RC_ASSERT(to_json(s) == before);
}

RC_GTEST_PROP(Minimizer, CandidatesAreSmallerOrSimpler, ()) {
  model::testing::RcChooser c;
  Scenario s = generate_scenario(c);
  std::string original = to_json(s).dump();
  for (const Scenario& cand : simplifications(s)) {
    RC_ASSERT(cand.steps.size() <= s.steps.size());
    RC_ASSERT(to_json(cand).dump() != original);
  }
}

// A filter over an overlay: the layer-dropping candidate moves the export down to the backing
// file; the scenario the candidates came from still exports the overlay.
TEST(Minimizer, DroppingTheTopLayerMovesTheExportDownOnlyInTheCandidate) {
  Scenario s;
  CreateOptions base;
  base.name = "l0.qcow2";
  base.size = 65536;
  CreateOptions top = base;
  top.name = "l1.qcow2";
  top.backing_file = "l0.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  s.steps = {CreateStep{base}, CreateStep{top}};
  GraphSpec cor;
  cor.filter = NodeKind::CopyOnRead;
  cor.child = std::make_shared<GraphSpec>(GraphSpec::of_image("l1.qcow2"));
  s.export_spec = ExportSpec{cor};
  s.queries = {Query::Content};

  std::vector<Scenario> candidates = simplifications(s);
  auto moved = std::find_if(candidates.begin(), candidates.end(), [](const Scenario& c) {
    return c.export_spec && c.export_spec->graph.child && c.export_spec->graph.child->image == "l0.qcow2";
  });
  ASSERT_NE(moved, candidates.end());
  EXPECT_EQ(*s.export_spec->graph.child->image, "l1.qcow2");
}

TEST(Minimizer, KeepsOnlyWhatTheFindingNeeds) {
  Scenario s;
  CreateOptions base;
  base.name = "l0.qcow2";
  base.size = 1 << 20;
  s.steps.push_back(CreateStep{base});
  for (u64 i = 0; i < 6; ++i)
    s.steps.push_back(IoStep{GraphSpec::of_image("l0.qcow2"), GuestOp{OpKind::Write, i * 65536 + 4096, 8192, 1}});
  s.export_spec = ExportSpec{GraphSpec::of_image("l0.qcow2")};
  s.queries = {Query::Content};
  // "The finding": some write still touches the third 64 KiB cluster.
  auto still_fails = [](const Scenario& c) {
    return std::any_of(c.steps.begin(), c.steps.end(), [](const Step& st) {
      auto* io = std::get_if<IoStep>(&st);
      return io && io->op.offset < 3 * 65536 && io->op.offset + io->op.length > 2 * 65536;
    });
  };
  Scenario small = minimize(s, still_fails, 200);
  EXPECT_TRUE(still_fails(small));
  EXPECT_EQ(std::count_if(small.steps.begin(), small.steps.end(),
                          [](const Step& st) { return std::holds_alternative<IoStep>(st); }),
            1);
}

}  // namespace
}  // namespace chaincheck::oracle::testing
