// The chain rebuild of seed 004 in the model: each layer exported with backing: null,
// planned from its NBD extents, written into a fresh qcow2 on the rebuilt backing.
#include "model/scenario/rebuild.hpp"
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class Seed004Rebuild : public ModelTest {
 protected:
  void SetUp() override { seed004_chain(); }
  RebuildResult rebuild(RebuildStrategy st) { return predict_rebuild(s, {"base.raw", "top.qcow2"}, st); }
};

TEST_F(Seed004Rebuild, BaseAllocationAloneSkipsTheZeroedClusterOfTop) {
  RebuildResult r = rebuild(RebuildStrategy::BaseAllocation);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[1].plan, (std::vector<PlanExtent>{{0, 64 * KiB, PlanAction::Skip},
                                                       {64 * KiB, 64 * KiB, PlanAction::Copy},
                                                       {128 * KiB, 128 * KiB, PlanAction::Skip}}));
}

TEST_F(Seed004Rebuild, BaseAllocationAloneExposesBaseClusterCAt128k) {
  RebuildResult r = rebuild(RebuildStrategy::BaseAllocation);
  EXPECT_EQ(r.wrong, (std::vector<ByteRange>{{128 * KiB, 64 * KiB}}));
  EXPECT_EQ(r.first_wrong(), 128 * KiB);
}

TEST_F(Seed004Rebuild, AllocationDepthWritesTheLocalZeroClusterAndIsExact) {
  RebuildResult r = rebuild(RebuildStrategy::AllocationDepth);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.layers[1].plan, (std::vector<PlanExtent>{{0, 64 * KiB, PlanAction::Skip},
                                                       {64 * KiB, 64 * KiB, PlanAction::Copy},
                                                       {128 * KiB, 64 * KiB, PlanAction::Zero},
                                                       {192 * KiB, 64 * KiB, PlanAction::Skip}}));
  EXPECT_EQ(r.wrong, std::vector<ByteRange>{});
  EXPECT_EQ(r.first_wrong(), std::nullopt);
}

TEST_F(Seed004Rebuild, RawBaseIsCopiedWholeUnderAllocationDepth) {
  RebuildResult r = rebuild(RebuildStrategy::AllocationDepth);
  // A raw layer is local everywhere: data copied, the hole written as zeroes.
  EXPECT_EQ(r.layers[0].plan, (std::vector<PlanExtent>{{0, 192 * KiB, PlanAction::Copy},
                                                       {192 * KiB, 64 * KiB, PlanAction::Zero}}));
}

TEST(RebuildPlan, ZeroWithoutHoleIsWrittenAsZeroesByBothStrategies) {
  std::vector<NbdExtent> base = {{0, 512, kNbdZero}, {512, 512, kNbdHole}};
  std::vector<NbdExtent> depth = {{0, 1024, 1}};
  EXPECT_EQ(rebuild_plan(RebuildStrategy::BaseAllocation, base, depth),
            (std::vector<PlanExtent>{{0, 512, PlanAction::Zero}, {512, 512, PlanAction::Skip}}));
  // HOLE without ZERO says nothing about the bytes: a local one is copied.
  EXPECT_EQ(rebuild_plan(RebuildStrategy::AllocationDepth, base, depth),
            (std::vector<PlanExtent>{{0, 512, PlanAction::Zero}, {512, 512, PlanAction::Copy}}));
}

TEST(RebuildPlan, DepthBoundariesInsideABaseAllocationExtentSplitThePlan) {
  std::vector<NbdExtent> base = {{0, 4096, kNbdHole | kNbdZero}};
  std::vector<NbdExtent> depth = {{0, 1024, 0}, {1024, 2048, 1}, {3072, 1024, 0}};
  EXPECT_EQ(rebuild_plan(RebuildStrategy::AllocationDepth, base, depth),
            (std::vector<PlanExtent>{{0, 1024, PlanAction::Skip}, {1024, 2048, PlanAction::Zero},
                                     {3072, 1024, PlanAction::Skip}}));
}

TEST(DifferingRanges, ReportsEveryDifferingByteAndTheTailOfTheLongerContent) {
  std::vector<Extent<std::uint8_t>> a = {{0, 10, 1}, {10, 10, 2}};
  std::vector<Extent<std::uint8_t>> b = {{0, 5, 1}, {5, 10, 3}, {15, 10, 2}};
  EXPECT_EQ(differing_ranges(a, b), (std::vector<ByteRange>{{5, 10}, {20, 5}}));
  EXPECT_EQ(differing_ranges(a, a), std::vector<ByteRange>{});
}

TEST(SymmetricDifference, KeepsBytesInExactlyOneList) {
  EXPECT_EQ(symmetric_difference({{0, 10}}, {{5, 10}}), (std::vector<ByteRange>{{0, 5}, {10, 5}}));
  EXPECT_EQ(symmetric_difference({{0, 10}}, {{0, 10}}), std::vector<ByteRange>{});
}

TEST(RebuildChain, FollowsTheCreateStepsBackingFilesFromTheExportedImage) {
  Scenario s;
  CreateOptions base{.name = "b.raw", .format = ImageFormat::Raw, .size = 65536};
  CreateOptions mid{.name = "m.qcow2", .backing_file = "b.raw", .backing_format = ImageFormat::Raw};
  CreateOptions top{.name = "t.qcow2", .backing_file = "m.qcow2", .backing_format = ImageFormat::Qcow2};
  s.steps = {CreateStep{base}, CreateStep{mid}, CreateStep{top}};
  GraphSpec filter;
  filter.filter = NodeKind::Blkdebug;
  filter.child = std::make_shared<GraphSpec>(GraphSpec::of_image("t.qcow2", true));
  s.export_spec = ExportSpec{filter};
  EXPECT_EQ(rebuild_chain(s), (std::vector<std::string>{"b.raw", "m.qcow2", "t.qcow2"}));
  s.export_spec.reset();
  EXPECT_EQ(rebuild_chain(s), std::vector<std::string>{});
}

}  // namespace
}  // namespace chaincheck::model::testing
