// L1/L2 walking on hand-built images: every cluster and subcluster state.
#include <chrono>

#include "impl/qcow2/l2_entry.hpp"
#include "impl/qcow2/tests/qcow2_test_support.hpp"

namespace chaincheck::impl::testing {
namespace {

constexpr std::uint64_t K = 1024;

GuestExtent extent(std::uint64_t off, std::uint64_t len, ClusterState s, std::optional<std::uint64_t> host = {}) {
  return {off, len, s, host, {}};
}

TEST(Qcow2Mapping, EmptyImageIsOneUnallocatedExtent) {
  Qcow2ImageBuilder b({.virtual_size = 5 << 20});
  const auto img = inspect(b);
  EXPECT_EQ(img.map(), (std::vector{extent(0, 5 << 20, ClusterState::Unallocated)}));
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
}

TEST(Qcow2Mapping, NormalClustersMergeOnlyWhenHostContiguous) {
  Qcow2ImageBuilder b({.virtual_size = 1 << 20});
  const std::uint64_t h0 = b.map_data_cluster(0);
  const std::uint64_t h1 = b.map_data_cluster(1);  // follows h0 on the host
  const std::uint64_t h3 = b.map_data_cluster(3);
  b.set_l2_entry(4, h0 | kCopied);  // shares a host cluster (refcount stays 1: check complains)
  ASSERT_EQ(h1, h0 + 64 * K);
  const auto img = inspect(b);
  const std::vector expected{
      extent(0, 128 * K, ClusterState::Normal, h0),        extent(128 * K, 64 * K, ClusterState::Unallocated),
      extent(192 * K, 64 * K, ClusterState::Normal, h3),   extent(256 * K, 64 * K, ClusterState::Normal, h0),
      extent(320 * K, 704 * K, ClusterState::Unallocated),
  };
  EXPECT_EQ(img.map(), expected) << describe(img.map());
}

TEST(Qcow2Mapping, ZeroFlagWithAndWithoutHostCluster) {
  Qcow2ImageBuilder b({.virtual_size = 256 * K});
  const std::uint64_t host = b.allocate_cluster();
  b.set_l2_entry(0, host | kCopied | kZeroFlag);
  b.set_l2_entry(1, kZeroFlag);
  const auto img = inspect(b);
  const std::vector expected{extent(0, 64 * K, ClusterState::ZeroAlloc, host),
                             extent(64 * K, 64 * K, ClusterState::ZeroPlain),
                             extent(128 * K, 128 * K, ClusterState::Unallocated)};
  EXPECT_EQ(img.map(), expected) << describe(img.map());
  EXPECT_TRUE(img.check().empty());
}

TEST(Qcow2Mapping, V2RefusesZeroFlag) {
  Qcow2ImageBuilder b({.version = 2, .virtual_size = 256 * K});
  b.set_l2_entry(2, kZeroFlag);
  const auto img = inspect(b);
  EXPECT_EQ(format_error_of([&] { img.map(); }),
            "v2 image has a zero-flag L2 entry at L1 index 0, L2 index 2 (guest offset 0x20000)");
}

TEST(Qcow2Mapping, CompressedClustersAreSeparateExtentsWithTheirDescriptor) {
  Qcow2ImageBuilder b({.cluster_bits = 16, .virtual_size = 256 * K});
  const std::uint64_t data = b.allocate_cluster();
  // cluster_bits 16: offset in bits 0..53, additional sectors in bits 54..61.
  const std::uint64_t first = data + 0x10;  // 3 sectors in all
  const std::uint64_t second = data + 0x600;
  b.set_l2_entry(0, kCompressed | (std::uint64_t{2} << 54) | first);
  b.set_l2_entry(1, kCompressed | second);
  const auto img = inspect(b);
  const auto map = img.map();
  ASSERT_EQ(map.size(), 3u) << describe(map);
  EXPECT_EQ(map[0].state, ClusterState::Compressed);
  EXPECT_EQ(map[0].length, 64 * K);
  EXPECT_FALSE(map[0].host_offset);
  EXPECT_EQ(map[0].compressed, (CompressedCluster{first, 3 * 512 - 0x10}));
  EXPECT_EQ(map[1].compressed, (CompressedCluster{second, 512}));
  EXPECT_EQ(map[2], extent(128 * K, 128 * K, ClusterState::Unallocated));
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
}

TEST(Qcow2Mapping, CompressedDescriptorLayoutDependsOnClusterBits) {
  // x = 62 - (cluster_bits - 8): the sector count starts at bit x.
  EXPECT_EQ(parse_compressed_descriptor(9, (std::uint64_t{1} << 61) | 0x1234),
            (CompressedCluster{0x1234, 2 * 512 - 0x34}));
  EXPECT_EQ(parse_compressed_descriptor(12, (std::uint64_t{15} << 58) | 0x200),
            (CompressedCluster{0x200, 16 * 512}));
  EXPECT_EQ(parse_compressed_descriptor(21, (std::uint64_t{0x1fff} << 49) | 0x7ff),
            (CompressedCluster{0x7ff, 0x2000 * 512 - 0x1ff}));
  // Bit 49 belongs to the offset with 64 KiB clusters, to the count with 2 MiB ones.
  EXPECT_EQ(parse_compressed_descriptor(16, std::uint64_t{1} << 49).host_offset, std::uint64_t{1} << 49);
}

TEST(Qcow2Mapping, ExtendedL2SubclusterStates) {
  Qcow2ImageBuilder b({.cluster_bits = 16, .virtual_size = 256 * K, .extended_l2 = true});
  const std::uint64_t host = b.allocate_cluster();
  // Subclusters of 2 KiB: 0-1 allocated, 2 zero, 3-31 unallocated (host cluster kept).
  b.set_l2_entry(0, host | kCopied, 0b11 | (std::uint64_t{0b100} << 32));
  // No host cluster: subcluster 31 reads as zero, the rest are unallocated.
  b.set_l2_entry(1, 0, std::uint64_t{1} << 63);
  const auto img = inspect(b);
  const std::vector expected{
      extent(0, 4 * K, ClusterState::Normal, host),
      extent(4 * K, 2 * K, ClusterState::ZeroAlloc, host + 4 * K),
      extent(6 * K, 58 * K, ClusterState::UnallocatedAlloc, host + 6 * K),
      extent(64 * K, 62 * K, ClusterState::Unallocated),
      extent(126 * K, 2 * K, ClusterState::ZeroPlain),
      extent(128 * K, 128 * K, ClusterState::Unallocated),
  };
  EXPECT_EQ(img.map(), expected) << describe(img.map());
  EXPECT_EQ(img.cluster_state(5 * K), extent(4 * K, 2 * K, ClusterState::ZeroAlloc, host + 4 * K));
  EXPECT_EQ(img.cluster_state(127 * K), extent(126 * K, 2 * K, ClusterState::ZeroPlain));
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
}

TEST(Qcow2Mapping, ExtendedL2IgnoresTheStandardZeroFlag) {
  Qcow2ImageBuilder b({.cluster_bits = 14, .virtual_size = 64 * K, .extended_l2 = true});
  const std::uint64_t host = b.allocate_cluster();
  b.set_l2_entry(0, host | kCopied | kZeroFlag, 0xffffffff);
  const auto img = inspect(b);
  EXPECT_EQ(img.map()[0], extent(0, 16 * K, ClusterState::Normal, host));
  ASSERT_EQ(img.check().size(), 1u);
  EXPECT_NE(img.check()[0].find("reserved bits 0x1"), std::string::npos) << img.check()[0];
}

TEST(Qcow2Mapping, ExtendedL2InvalidBitmapsAreRefused) {
  Qcow2BuildOptions o{.cluster_bits = 16, .virtual_size = 256 * K, .extended_l2 = true};
  {
    Qcow2ImageBuilder b(o);
    const std::uint64_t host = b.allocate_cluster();
    b.set_l2_entry(1, host | kCopied, (std::uint64_t{1} << 37) | (1u << 5) | 1u);
    EXPECT_EQ(format_error_of([&] { inspect(b).map(); }),
              "extended L2 entry at L1 index 0, L2 index 1 (guest offset 0x10000) marks subcluster 5 both "
              "allocated and zero (bitmap 0x2000000021)");
  }
  {
    Qcow2ImageBuilder b(o);
    b.set_l2_entry(2, 0, 0x10);
    EXPECT_EQ(format_error_of([&] { inspect(b).map(); }),
              "extended L2 entry at L1 index 0, L2 index 2 (guest offset 0x20000) has no host cluster but "
              "allocated subclusters (bitmap 0x10)");
  }
  {
    Qcow2ImageBuilder b(o);
    const std::uint64_t host = b.allocate_cluster();
    b.set_l2_entry(0, kCompressed | host, 1);
    EXPECT_EQ(format_error_of([&] { inspect(b).map(); }),
              "compressed cluster at L1 index 0, L2 index 0 (guest offset 0x0) has a non-zero subcluster bitmap 0x1");
  }
}

TEST(Qcow2Mapping, UnalignedHostOffsetIsRefused) {
  Qcow2ImageBuilder b({.virtual_size = 256 * K});
  const std::uint64_t host = b.allocate_cluster();
  b.set_l2_entry(1, (host + 512) | kCopied);
  EXPECT_EQ(format_error_of([&] { inspect(b).map(); }),
            "host cluster offset " + hex(host + 512) +
                " at L1 index 0, L2 index 1 (guest offset 0x10000) is not aligned to the cluster size 0x10000");
}

TEST(Qcow2Mapping, L2TableOffsetsAreValidated) {
  Qcow2ImageBuilder b({.cluster_bits = 9, .virtual_size = 1 << 20});  // 64 clusters per L2 table
  b.map_data_cluster(0);
  const std::uint64_t past_end = (b.bytes().size() + 512) & ~std::uint64_t{511};
  b.put_be64(b.l1_table_offset() + 3 * 8, past_end);
  EXPECT_EQ(format_error_of([&] { inspect(b).map(); }),
            "L2 table offset " + hex(past_end) + " at L1 index 3 is beyond the end of the file (" +
                hex(b.bytes().size()) + " bytes)");
  // Ranges that avoid the broken table still map.
  EXPECT_EQ(inspect(b).map(0, 512).at(0).state, ClusterState::Normal);
  // Bits 0-8 are masked off (reserved), so misalignment needs clusters above 512 bytes.
  Qcow2ImageBuilder big({.cluster_bits = 12, .virtual_size = 8 << 20});
  big.put_be64(big.l1_table_offset() + 8, 0x1200 | kCopied);
  EXPECT_EQ(format_error_of([&] { inspect(big).map(); }),
            "L2 table offset 0x1200 at L1 index 1 is not aligned to the cluster size 0x1000");
}

TEST(Qcow2Mapping, QueriesReadOnlyTheEntriesTheyNeed) {
  Qcow2ImageBuilder b({.virtual_size = 1 << 20});
  const std::uint64_t host = b.map_data_cluster(0);
  b.set_l2_entry(5, (host + 4096) | kCopied);  // corrupt, but elsewhere
  const auto img = inspect(b);
  EXPECT_EQ(img.cluster_state(100), extent(0, 64 * K, ClusterState::Normal, host));
  EXPECT_EQ(img.map(0, 320 * K).size(), 2u);
  EXPECT_NE(format_error_of([&] { img.map(); }).find("L2 index 5 (guest offset 0x50000) is not aligned"),
            std::string::npos);
}

TEST(Qcow2Mapping, ExternalDataFileMapsOffsetZeroWithCopied) {
  Qcow2ImageBuilder b({.virtual_size = 256 * K, .external_data_file = true});
  b.set_l2_entry(0, kCopied);             // guest cluster 0 at data-file offset 0
  b.set_l2_entry(1, (64 * K) | kCopied);  // guest = host
  b.set_l2_entry(2, 0);                   // unallocated
  const auto img = inspect(b);
  EXPECT_TRUE(img.external_data_file());
  EXPECT_EQ(img.map(), (std::vector{extent(0, 128 * K, ClusterState::Normal, 0),
                                    extent(128 * K, 128 * K, ClusterState::Unallocated)}))
      << describe(img.map());
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  b.set_l2_entry(3, kCompressed | 0x1000);
  EXPECT_NE(format_error_of([&] { inspect(b).map(); }).find("external data file"), std::string::npos);
}

TEST(Qcow2Mapping, UnalignedVirtualSizeClipsTheLastCluster) {
  Qcow2ImageBuilder b({.cluster_bits = 16, .virtual_size = 100 * K});
  const std::uint64_t host = b.map_data_cluster(1);
  const auto img = inspect(b);
  EXPECT_EQ(img.map(), (std::vector{extent(0, 64 * K, ClusterState::Unallocated),
                                    extent(64 * K, 36 * K, ClusterState::Normal, host)}));
  EXPECT_EQ(img.cluster_state(99 * K), extent(64 * K, 36 * K, ClusterState::Normal, host));
  EXPECT_THROW(img.cluster_state(100 * K), std::out_of_range);
}

TEST(Qcow2Mapping, RangesStartMidClusterWithShiftedHostOffset) {
  Qcow2ImageBuilder b({.cluster_bits = 16, .virtual_size = 1 << 20});
  const std::uint64_t host = b.map_data_cluster(2);
  const auto img = inspect(b);
  EXPECT_EQ(img.map(130 * K, 10 * K), (std::vector{extent(130 * K, 10 * K, ClusterState::Normal, host + 2 * K)}));
  EXPECT_EQ(img.map(100 * K, 50 * K), (std::vector{extent(100 * K, 28 * K, ClusterState::Unallocated),
                                                   extent(128 * K, 22 * K, ClusterState::Normal, host)}));
  EXPECT_TRUE(img.map(2 << 20, 4096).empty());
  EXPECT_EQ(img.cluster_state(130 * K), extent(128 * K, 64 * K, ClusterState::Normal, host));
}

TEST(Qcow2Mapping, HugeSparseImageMapsToFewExtentsQuickly) {
  // 4 TiB with 64 KiB clusters: 8192 L1 entries, two of them used.
  const std::uint64_t size = std::uint64_t{4} << 40;
  Qcow2ImageBuilder b({.cluster_bits = 16, .virtual_size = size});
  const std::uint64_t first = b.map_data_cluster(0);
  const std::uint64_t last = b.map_data_cluster(size / (64 * K) - 1);
  const auto img = inspect(b);
  const auto started = std::chrono::steady_clock::now();
  const auto map = img.map();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(map, (std::vector{extent(0, 64 * K, ClusterState::Normal, first),
                              extent(64 * K, size - 128 * K, ClusterState::Unallocated),
                              extent(size - 64 * K, 64 * K, ClusterState::Normal, last)}))
      << describe(map);
}

TEST(Qcow2Mapping, VisitorCanStopTheWalk) {
  Qcow2ImageBuilder b({.cluster_bits = 16, .virtual_size = 1 << 20});
  for (std::uint64_t c = 0; c < 16; c += 2) b.map_data_cluster(c);
  const auto img = inspect(b);
  int seen = 0;
  EXPECT_FALSE(img.for_each_extent(0, 1 << 20, [&](const GuestExtent&) { return ++seen < 3; }));
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(img.map().size(), 16u);
}

}  // namespace
}  // namespace chaincheck::impl::testing
