#include "oracle/judge.hpp"

#include <gtest/gtest.h>

#include "model/scenario/model_system.hpp"
#include "oracle/registry.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

// The seed-004 chain, exported through a blkdebug filter.
Scenario seed004(bool filter) {
  Scenario s;
  CreateOptions base{.name = "base.raw", .format = ImageFormat::Raw, .size = 262144};
  CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "base.raw";
  top.backing_format = ImageFormat::Raw;
  s.steps.push_back(CreateStep{base});
  s.steps.push_back(CreateStep{top});
  s.steps.push_back(IoStep{GraphSpec::of_image("base.raw"), {OpKind::Write, 0, 196608, 65, false}});
  s.steps.push_back(IoStep{GraphSpec::of_image("top.qcow2"), {OpKind::Write, 65536, 65536, 69, false}});
  s.steps.push_back(IoStep{GraphSpec::of_image("top.qcow2"), {OpKind::WriteZeroes, 131072, 65536, 0, false}});
  ExportSpec ex{GraphSpec::of_image("top.qcow2")};
  if (filter) {
    GraphSpec f;
    f.filter = NodeKind::Blkdebug;
    f.align = 512;
    f.child = std::make_shared<GraphSpec>(ex.graph);
    ex.graph = f;
  }
  s.export_spec = ex;
  s.queries = {Query::ImgMap, Query::IoMap, Query::BaseAllocation, Query::AllocationDepth, Query::Content};
  return s;
}

JudgeContext ctx() { return {"top.qcow2 > base.raw", 2, "export"}; }

TEST(Judge, ModelAgainstItselfIsClean) {
  ModelSystem a, b;
  Scenario s = seed004(true);
  Verdict v = judge(a.run(s), b.run(s), ctx());
  EXPECT_TRUE(v.clean()) << (v.findings.empty() ? "" : describe(v.findings[0]));
  EXPECT_TRUE(v.imprecisions.empty());
}

TEST(Judge, FilterCountedInDepthIsFoundAsSpecViolationOrDivergence) {
  ModelSystem model, faulty(ModelFaults{.filters_add_depth = true});
  Scenario s = seed004(true);
  Verdict v = judge(model.run(s), faulty.run(s), ctx());
  ASSERT_FALSE(v.clean());
  // Depth 3 in a 2-layer chain is out of range: an NBD-spec finding, not also a divergence.
  EXPECT_EQ(v.findings[0].cls, FindingClass::NbdSpec);
  EXPECT_EQ(v.findings[0].rule, "depth-out-of-range");
  for (const auto& f : v.findings) EXPECT_NE(f.cls, FindingClass::ModelDivergence) << describe(f);
}

TEST(Judge, ClearingAFlagIsImprecisionNotAFinding) {
  ModelSystem model, faulty(ModelFaults{.zero_hides_hole = true});
  Scenario s = seed004(false);
  s.queries = {Query::BaseAllocation};
  Verdict v = judge(model.run(s), faulty.run(s), ctx());
  EXPECT_TRUE(v.clean()) << describe(v.findings[0]);
  ASSERT_FALSE(v.imprecisions.empty());
  EXPECT_EQ(v.imprecisions[0].interface, "base:allocation");
}

TEST(Judge, ZeroFlagOverNonZeroBytesIsAContentFinding) {
  ModelSystem model;
  Scenario s = seed004(false);
  Observation predicted = model.run(s);
  Observation observed = predicted;
  for (auto& r : observed.nbd->replies)
    if (r.context == "base:allocation")
      for (auto& e : r.extents) e.value = kNbdZero;  // claims everything reads as zero
  Verdict v = judge(predicted, observed, ctx());
  ASSERT_FALSE(v.clean());
  EXPECT_EQ(v.findings[0].cls, FindingClass::Content);
  EXPECT_EQ(v.findings[0].offset, 0u);
}

TEST(Judge, MapDepthDisagreeingWithAllocationDepthIsCrossInterface) {
  ModelSystem model;
  Scenario s = seed004(false);
  Observation predicted = model.run(s);
  Observation observed = predicted;
  (*observed.img_map)[0].present = false;  // cluster 0 claims to be absent
  Verdict v = judge(predicted, observed, ctx());
  bool cross = false;
  for (const auto& f : v.findings) cross |= f.cls == FindingClass::CrossInterface && f.rule == "map-depth-vs-allocation-depth";
  EXPECT_TRUE(cross);
}

TEST(Judge, DifferentStepOutcomeIsADivergence) {
  Observation p, o;
  p.step_errors = {"", ""};
  o.step_errors = {"", "qemu-io: write failed"};
  Verdict v = judge(p, o, ctx());
  ASSERT_EQ(v.findings.size(), 1u);
  EXPECT_EQ(v.findings[0].where, "step 2");
}

TEST(Registry, MatchesByClassInterfaceRuleAndGraph) {
  nlohmann::json j = {{"id", "KF-T"}, {"title", "t"}, {"class", "nbd-spec"},
                      {"match", {{"rule", "depth-out-of-range"}, {"interface", {"qemu:allocation-depth"}}, {"graph", "blkdebug"}}},
                      {"explanation", "e"}, {"source", "s"}, {"first_seen", "7.2.22"}, {"upstream_status", "u"}};
  Registry r;
  r.add(Registry::entry_from_json(j, "test"));
  Finding f;
  f.cls = FindingClass::NbdSpec;
  f.rule = "depth-out-of-range";
  f.interfaces = {"qemu:allocation-depth"};
  f.graph = "blkdebug(align=512) > top.qcow2";
  std::vector<Finding> fs{f};
  r.classify(fs);
  EXPECT_TRUE(fs[0].known);
  fs[0].known = false;
  fs[0].graph = "top.qcow2";
  r.classify(fs);
  EXPECT_FALSE(fs[0].known);
}

TEST(Registry, BadEntryNamesTheField) {
  nlohmann::json j = {{"id", "x"}, {"title", "t"}, {"class", "bogus"}};
  try {
    Registry::entry_from_json(j, "f.json");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("f.json: class 'bogus'"), std::string::npos);
  }
}

}  // namespace
}  // namespace chaincheck::oracle

namespace chaincheck::oracle {
namespace {

TEST(Registry, ShippedEntriesLoadAndMatchTheirOwnRule) {
  Registry r = Registry::load(default_registry_dir());
  ASSERT_GE(r.entries().size(), 4u);
  for (const auto& k : r.entries()) {
    if (k.expected_regex || k.observed_regex) continue;  // text-constrained: covered by the iotests
    Finding f;
    f.cls = k.cls;
    f.rule = k.rule;
    f.interfaces = k.interfaces.empty() ? std::vector<std::string>{"base:allocation"} : k.interfaces;
    f.graph = "blkdebug(align=4096) > throttle > raw(offset=0) > top.qcow2";
    EXPECT_EQ(r.match(f) != nullptr, true) << k.id;
  }
}

}  // namespace
}  // namespace chaincheck::oracle
