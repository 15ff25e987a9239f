// The oracle on qemu:dirty-bitmap:NAME contexts: divergence from the model, a context the
// server did not negotiate, and the NBD-spec checks every context gets.
#include <gtest/gtest.h>

#include "oracle/dirty_bitmap_judge.hpp"
#include "oracle/judge.hpp"

namespace chaincheck::oracle {
namespace {

using model::NbdExtent;
const std::string kCtx = "qemu:dirty-bitmap:b";

model::NbdObservation with_bitmap(std::vector<NbdExtent> extents, u64 min_block = 1) {
  model::NbdObservation n;
  n.export_size = 1 << 20;
  n.block_size.minimum = min_block;
  n.contexts = {kCtx};
  n.replies.push_back({kCtx, 0, n.export_size, std::move(extents)});
  return n;
}

TEST(DirtyBitmapJudge, ARangeTheServerCallsCleanButTheModelDirtyIsADivergence) {
  auto p = with_bitmap({{0, 65536, 1}, {65536, 983040, 0}});
  auto o = with_bitmap({{0, 1 << 20, 0}});
  auto fs = dirty_bitmap_divergence(p, o, {});
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].cls, FindingClass::ModelDivergence);
  EXPECT_EQ(fs[0].rule, "dirty-bitmap");
  EXPECT_EQ(fs[0].offset, 0u);
  EXPECT_EQ(fs[0].length, 65536u);
  EXPECT_EQ(fs[0].expected, "dirty");
  EXPECT_EQ(fs[0].observed, "clean");
  EXPECT_TRUE(dirty_bitmap_divergence(p, p, {}).empty());
  EXPECT_TRUE(dirty_bitmap_divergence(p, o, {kCtx}).empty()) << "already explained by a higher class";
}

TEST(DirtyBitmapJudge, AnExportedBitmapTheServerDoesNotOfferIsReported) {
  auto p = with_bitmap({{0, 1 << 20, 0}});
  model::NbdObservation o = p;
  o.contexts.clear();
  o.replies.clear();
  auto fs = dirty_bitmap_divergence(p, o, {});
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].rule, "bitmap-context-missing");
}

TEST(DirtyBitmapJudge, SubMinimumGranulesAreAnNbdSpecFindingNotADivergence) {
  model::Observation p, o;
  p.nbd = with_bitmap({{0, 4096, 1}, {4096, 1044480, 0}}, 4096);
  o.nbd = with_bitmap({{0, 512, 0}, {512, 512, 1}, {1024, 1047552, 0}}, 4096);
  Verdict v = judge(p, o, {});
  ASSERT_FALSE(v.findings.empty());
  for (const Finding& f : v.findings) {
    EXPECT_EQ(f.cls, FindingClass::NbdSpec) << describe(f);
    EXPECT_EQ(f.rule, "extent-not-multiple-of-min-block");
  }
}

TEST(DirtyBitmapJudge, FlagsBeyondTheDirtyBitAreUndefined) {
  model::Observation p, o;
  p.nbd = with_bitmap({{0, 1 << 20, 0}});
  o.nbd = with_bitmap({{0, 1 << 20, 2}});
  Verdict v = judge(p, o, {});
  ASSERT_FALSE(v.findings.empty());
  EXPECT_EQ(v.findings[0].rule, "undefined-flags");
}

}  // namespace
}  // namespace chaincheck::oracle
