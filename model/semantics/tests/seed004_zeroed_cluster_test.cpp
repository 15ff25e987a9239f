// Seed 004 ("qemu-{img,nbd}: Don't report zeroed cluster as a hole"): top: -D0- / base: ABC-
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class Seed004 : public ModelTest {
 protected:
  void SetUp() override { seed004_chain(std::nullopt); }
};

TEST_F(Seed004, MapWithBackingShowsEachClusterAtItsLayer) {
  write_zeroes("top.qcow2", 128 * KiB, 64 * KiB);
  expect_map(qemu_img_map(s, open_image(s, "top.qcow2")),
             {entry(0, 64 * KiB, 1, true, false, true, 0),
              entry(64 * KiB, 64 * KiB, 0, true, false, true, kAnyOffset),
              entry(128 * KiB, 64 * KiB, 0, true, true, false),
              entry(192 * KiB, 64 * KiB, 1, true, true, false, 192 * KiB)});
}

TEST_F(Seed004, MapWithNullBackingTellsUnallocatedFromZeroByPresent) {
  write_zeroes("top.qcow2", 128 * KiB, 64 * KiB);
  expect_map(qemu_img_map(s, open_image(s, "top.qcow2", /*backing_null=*/true)),
             {entry(0, 64 * KiB, 0, false, true, false),
              entry(64 * KiB, 64 * KiB, 0, true, false, true, kAnyOffset),
              entry(128 * KiB, 64 * KiB, 0, true, true, false),
              entry(192 * KiB, 64 * KiB, 0, false, true, false)});
}

TEST_F(Seed004, BaseAllocationReportsTheZeroedClusterAsHole) {
  write_zeroes("top.qcow2", 128 * KiB, 64 * KiB);
  Graph g = open_image(s, "top.qcow2");
  EXPECT_EQ(nbd(g, NbdContext::BaseAllocation),
            (std::vector<NbdExtent>{{0, 128 * KiB, 0}, {128 * KiB, 128 * KiB, kNbdHole | kNbdZero}}));
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth),
            (std::vector<NbdExtent>{{0, 64 * KiB, 2}, {64 * KiB, 128 * KiB, 1}, {192 * KiB, 64 * KiB, 2}}));
}

TEST_F(Seed004, NullBackingExportNeedsAllocationDepthToFindLocalClusters) {
  write_zeroes("top.qcow2", 128 * KiB, 64 * KiB);
  Graph g = open_image(s, "top.qcow2", true);
  EXPECT_EQ(nbd(g, NbdContext::BaseAllocation),
            (std::vector<NbdExtent>{{0, 64 * KiB, 3}, {64 * KiB, 64 * KiB, 0}, {128 * KiB, 128 * KiB, 3}}));
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth),
            (std::vector<NbdExtent>{{0, 64 * KiB, 0}, {64 * KiB, 128 * KiB, 1}, {192 * KiB, 64 * KiB, 0}}));
}

TEST_F(Seed004, ZeroedClusterHidesTheBackingData) {
  write_zeroes("top.qcow2", 128 * KiB, 64 * KiB);
  Graph g = open_image(s, "top.qcow2");
  EXPECT_EQ(content(s, g, g.root, 0, 256 * KiB),
            (std::vector<Extent<std::uint8_t>>{{0, 64 * KiB, 65}, {64 * KiB, 64 * KiB, 69}, {128 * KiB, 128 * KiB, 0}}));
}

// The thread's typo: write -z 12k 64k. The head of cluster 0 cannot become a zero cluster
// (the rest of it reads 'A' from the backing) and cluster 1 holds data, so both fall back to
// writing explicit zeroes: clusters 0 and 1 are local, 2 and 3 come from the backing.
TEST_F(Seed004, TypoWriteZeroesAt12kMakesClustersZeroAndOneLocal) {
  write_zeroes("top.qcow2", 12 * KiB, 64 * KiB);
  Graph g = open_image(s, "top.qcow2");
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth),
            (std::vector<NbdExtent>{{0, 128 * KiB, 1}, {128 * KiB, 128 * KiB, 2}}));
  EXPECT_EQ(type_at("top.qcow2", 0), ClusterType::Normal);
  EXPECT_EQ(content(s, g, g.root, 0, 128 * KiB),
            (std::vector<Extent<std::uint8_t>>{{0, 12 * KiB, 65}, {12 * KiB, 64 * KiB, 0}, {76 * KiB, 52 * KiB, 69}}));
}

}  // namespace
}  // namespace chaincheck::model::testing
