// Seed 003 (subclusters / preallocated zero clusters) and QEMU 7.2's zero and discard
// rules (qcow2_subcluster_zeroize, discard_in_l2_slice in block/qcow2-cluster.c).
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class Subclusters : public ModelTest {
 protected:
  // 64 KiB clusters with extended L2: 2 KiB subclusters.
  void SetUp() override { qcow2("sub.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16, true); }
};

TEST_F(Subclusters, PartialWriteAllocatesOnlyTheTouchedSubclusters) {
  write("sub.qcow2", 4 * KiB, 1 * KiB, 9);
  EXPECT_EQ(type_at("sub.qcow2", 0), ClusterType::UnallocatedAlloc);
  EXPECT_EQ(type_at("sub.qcow2", 4 * KiB), ClusterType::Normal);
  EXPECT_EQ(type_at("sub.qcow2", 6 * KiB), ClusterType::UnallocatedAlloc);
  EXPECT_EQ(type_at("sub.qcow2", 64 * KiB), ClusterType::Unallocated);
  expect_map(qemu_img_map(s, open_image(s, "sub.qcow2"), 0, 64 * KiB),
             {entry(0, 4 * KiB, 0, false, true, false, kAnyOffset),
              entry(4 * KiB, 2 * KiB, 0, true, false, true, kAnyOffset),
              entry(6 * KiB, 58 * KiB, 0, false, true, false, kAnyOffset)});
}

TEST_F(Subclusters, WriteZeroesOnDataSubclusterKeepsTheHostCluster) {
  write("sub.qcow2", 0, 64 * KiB, 9);
  write_zeroes("sub.qcow2", 2 * KiB, 2 * KiB);
  EXPECT_EQ(type_at("sub.qcow2", 2 * KiB), ClusterType::ZeroAlloc);
  EXPECT_EQ(type_at("sub.qcow2", 0), ClusterType::Normal);
}

// "write -z 1k 512 with 2 KiB subclusters zeroes the whole 2 KiB subcluster" (qcow2_co_pwrite_zeroes rounds to subclusters).
TEST_F(Subclusters, UnalignedZeroOnUnallocatedSubclusterZeroesTheWholeSubcluster) {
  write_zeroes("sub.qcow2", 1 * KiB, 512);
  EXPECT_EQ(type_at("sub.qcow2", 0), ClusterType::ZeroPlain);
  EXPECT_EQ(type_at("sub.qcow2", 2 * KiB), ClusterType::Unallocated);
}

TEST_F(Subclusters, DiscardIgnoresPartialClusters) {
  write("sub.qcow2", 0, 64 * KiB, 9);
  discard("sub.qcow2", 0, 32 * KiB);
  EXPECT_EQ(type_at("sub.qcow2", 0), ClusterType::Normal);
  discard("sub.qcow2", 0, 64 * KiB);
  EXPECT_EQ(type_at("sub.qcow2", 0), ClusterType::ZeroPlain);
}

TEST_F(Subclusters, PreallocationReservesHostClustersWithoutAllocatingSubclusters) {
  qcow2("pre.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16, true, Preallocation::Metadata);
  expect_map(qemu_img_map(s, open_image(s, "pre.qcow2")),
             {entry(0, 1 * MiB, 0, false, true, false, kAnyOffset)});
}

class ZeroTable : public ModelTest {
 protected:
  void SetUp() override {
    qcow2("img.qcow2", 1 * MiB);
    write("img.qcow2", 0, 64 * KiB, 1);
  }
};

TEST_F(ZeroTable, WriteZeroesOverDataKeepsTheOffset) {
  write_zeroes("img.qcow2", 0, 64 * KiB);
  EXPECT_EQ(type_at("img.qcow2", 0), ClusterType::ZeroAlloc);
  expect_map(qemu_img_map(s, open_image(s, "img.qcow2"), 0, 64 * KiB),
             {entry(0, 64 * KiB, 0, true, true, false, kAnyOffset)});
}

TEST_F(ZeroTable, WriteZeroesWithUnmapFreesTheCluster) {
  write_zeroes("img.qcow2", 0, 64 * KiB, true);
  EXPECT_EQ(type_at("img.qcow2", 0), ClusterType::ZeroPlain);
}

TEST_F(ZeroTable, MayUnmapIsDroppedWithoutUnmapPermission) {
  Graph g = open_image(s, "img.qcow2");
  ok(apply(s, g, {OpKind::WriteZeroes, 0, 64 * KiB, 0, true}, OpenOptions{false}));
  EXPECT_EQ(type_at("img.qcow2", 0), ClusterType::ZeroAlloc);
}

TEST_F(ZeroTable, DiscardOfDataIsAZeroClusterAndOfNothingIsNothing) {
  discard("img.qcow2", 0, 128 * KiB);
  EXPECT_EQ(type_at("img.qcow2", 0), ClusterType::ZeroPlain);
  EXPECT_EQ(type_at("img.qcow2", 64 * KiB), ClusterType::Unallocated);
}

TEST_F(ZeroTable, DiscardWithoutUnmapPermissionIsIgnored) {
  ok(apply(s, open_image(s, "img.qcow2"), {OpKind::Discard, 0, 64 * KiB, 0, false}, OpenOptions{false}));
  EXPECT_EQ(type_at("img.qcow2", 0), ClusterType::Normal);
}

TEST_F(ZeroTable, WriteZeroesOverCompressedAlwaysUnmaps) {
  write_compressed("img.qcow2", 128 * KiB, 64 * KiB, 3);
  EXPECT_EQ(type_at("img.qcow2", 128 * KiB), ClusterType::Compressed);
  expect_map(qemu_img_map(s, open_image(s, "img.qcow2"), 128 * KiB, 64 * KiB),
             {entry(128 * KiB, 64 * KiB, 0, true, false, true)});
  write_zeroes("img.qcow2", 128 * KiB, 64 * KiB);
  EXPECT_EQ(type_at("img.qcow2", 128 * KiB), ClusterType::ZeroPlain);
}

TEST_F(ZeroTable, PartialZeroOverBackingDataFallsBackToExplicitZeroes) {
  qcow2("top.qcow2", std::nullopt, "img.qcow2");
  write_zeroes("top.qcow2", 4 * KiB, 4 * KiB);
  EXPECT_EQ(type_at("top.qcow2", 0), ClusterType::Normal);
  Graph g = open_image(s, "top.qcow2");
  EXPECT_EQ(content(s, g, g.root, 0, 64 * KiB),
            (std::vector<Extent<std::uint8_t>>{{0, 4 * KiB, 1}, {4 * KiB, 4 * KiB, 0}, {8 * KiB, 56 * KiB, 1}}));
}

TEST_F(ZeroTable, V2WithoutBackingZeroingLeavesTheClusterUnallocated) {
  qcow2("v2.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16, false, Preallocation::Off, false);
  write("v2.qcow2", 0, 64 * KiB, 1);
  write_zeroes("v2.qcow2", 0, 64 * KiB);
  EXPECT_EQ(type_at("v2.qcow2", 0), ClusterType::Unallocated);
}

TEST_F(ZeroTable, V2WithBackingZeroingWritesData) {
  qcow2("v2.qcow2", std::nullopt, "img.qcow2", ImageFormat::Qcow2, 16, false, Preallocation::Off, false);
  write_zeroes("v2.qcow2", 0, 64 * KiB);
  EXPECT_EQ(type_at("v2.qcow2", 0), ClusterType::Normal);
  discard("v2.qcow2", 0, 64 * KiB);
  EXPECT_EQ(type_at("v2.qcow2", 0), ClusterType::Normal);  // -ENOTSUP: nothing happens
}

TEST_F(ZeroTable, MetadataPreallocationReadsAsDataAndZero) {
  qcow2("meta.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16, false, Preallocation::Metadata);
  expect_map(qemu_img_map(s, open_image(s, "meta.qcow2")),
             {entry(0, 1 * MiB, 0, true, true, true, kAnyOffset)});
  qcow2("full.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16, false, Preallocation::Full);
  expect_map(qemu_img_map(s, open_image(s, "full.qcow2")),
             {entry(0, 1 * MiB, 0, true, false, true, kAnyOffset)});
}

TEST_F(ZeroTable, PreallocationWithBackingNeedsExtendedL2) {
  CreateOptions o;
  o.name = "bad.qcow2";
  o.backing_file = "img.qcow2";
  o.preallocation = Preallocation::Metadata;
  EXPECT_TRUE(create_image(s, o).has_value());
}

}  // namespace
}  // namespace chaincheck::model::testing

namespace chaincheck::model::testing {
namespace {

// qcow2_alloc_compressed_cluster_offset: "Compression can't overwrite anything".
TEST_F(ZeroTable, CompressedWriteOverAnAllocatedClusterFails) {
  Graph g = open_image(s, "img.qcow2");
  auto err = apply(s, g, {OpKind::WriteCompressed, 0, 64 * KiB, 7, false});
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->message.find("Input/output error"), std::string::npos);
  EXPECT_EQ(type_at("img.qcow2", 0), ClusterType::Normal);
  write_zeroes("img.qcow2", 64 * KiB, 64 * KiB, true);  // ZERO_PLAIN: no host offset
  EXPECT_FALSE(apply(s, g, {OpKind::WriteCompressed, 64 * KiB, 64 * KiB, 7, false}).has_value());
}

}  // namespace
}  // namespace chaincheck::model::testing
