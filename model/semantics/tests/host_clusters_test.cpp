// Which host cluster a write gives each guest cluster (qcow2_alloc_host_offset: new clusters
// are taken one after another at the end of the image; allocated ones keep theirs).
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class HostClusters : public ModelTest {
 protected:
  // Host offset of the unit at guest offset `off` of `img` (it must have a host cluster).
  u64 host(const std::string& img, u64 off) {
    const Qcow2Unit u = s.image(s.find(img)).qcow2().units.at(off).value;
    EXPECT_TRUE(has_host_cluster(u.type)) << to_string(u.type) << " at " << off;
    return static_cast<u64>(static_cast<std::int64_t>(off) + u.host_delta);
  }
  u64 next_host(const std::string& img) { return s.image(s.find(img)).qcow2().next_host_cluster; }
};

TEST_F(HostClusters, AWriteOverFreshClustersTakesConsecutiveHostClusters) {
  qcow2("a.qcow2", 1 * MiB);
  u64 first = next_host("a.qcow2");
  write("a.qcow2", 64 * KiB, 3 * 64 * KiB, 1);
  EXPECT_EQ(host("a.qcow2", 64 * KiB), first);
  EXPECT_EQ(host("a.qcow2", 128 * KiB), first + 64 * KiB);
  EXPECT_EQ(host("a.qcow2", 192 * KiB + 100), first + 128 * KiB + 100);
  EXPECT_EQ(next_host("a.qcow2"), first + 3 * 64 * KiB);
  // Contiguous on the host: one run of NORMAL units.
  EXPECT_EQ(s.image(s.find("a.qcow2")).qcow2().units.at(64 * KiB).value,
            s.image(s.find("a.qcow2")).qcow2().units.at(255 * KiB).value);
}

TEST_F(HostClusters, AllocatedClustersKeepTheirHostClusterInsideALongerWrite) {
  qcow2("a.qcow2", 1 * MiB);
  u64 first = next_host("a.qcow2");
  write("a.qcow2", 128 * KiB, 4 * KiB, 1);  // cluster 2 gets the first host cluster
  write("a.qcow2", 0, 4 * 64 * KiB, 2);     // clusters 0, 1, 3 get the next three
  EXPECT_EQ(host("a.qcow2", 128 * KiB), first);
  EXPECT_EQ(host("a.qcow2", 0), first + 64 * KiB);
  EXPECT_EQ(host("a.qcow2", 64 * KiB), first + 128 * KiB);
  EXPECT_EQ(host("a.qcow2", 192 * KiB), first + 192 * KiB);
  EXPECT_EQ(next_host("a.qcow2"), first + 4 * 64 * KiB);
}

TEST_F(HostClusters, APartlyWrittenSubclusterClusterKeepsItsOtherSubclustersUnallocated) {
  // Extended L2 (32 subclusters of 2 KiB): the write allocates a host cluster for the whole
  // cluster, but only the written subclusters become NORMAL.
  qcow2("a.qcow2", 1 * MiB, std::nullopt, ImageFormat::Qcow2, 16, true);
  u64 first = next_host("a.qcow2");
  write("a.qcow2", 2 * KiB, 2 * KiB, 1);
  EXPECT_EQ(type_at("a.qcow2", 0), ClusterType::UnallocatedAlloc);
  EXPECT_EQ(type_at("a.qcow2", 2 * KiB), ClusterType::Normal);
  EXPECT_EQ(type_at("a.qcow2", 4 * KiB), ClusterType::UnallocatedAlloc);
  EXPECT_EQ(host("a.qcow2", 2 * KiB), first + 2 * KiB);
  EXPECT_EQ(host("a.qcow2", 4 * KiB), first + 4 * KiB);
  EXPECT_EQ(type_at("a.qcow2", 64 * KiB), ClusterType::Unallocated);
}

// zero_in_l2_slice: whole clusters become ZERO; allocated ones keep their host cluster
// (ZERO_ALLOC) unless the request may unmap; unallocated ones stay without (ZERO_PLAIN).
TEST_F(HostClusters, ZeroingWholeClustersKeepsHostClustersUnlessItMayUnmap) {
  qcow2("a.qcow2", 1 * MiB);
  u64 first = next_host("a.qcow2");
  write("a.qcow2", 0, 3 * 64 * KiB, 1);
  write_zeroes("a.qcow2", 0, 5 * 64 * KiB);  // clusters 0-2 allocated, 3-4 not
  EXPECT_EQ(type_at("a.qcow2", 0), ClusterType::ZeroAlloc);
  EXPECT_EQ(host("a.qcow2", 64 * KiB + 5), first + 64 * KiB + 5);
  EXPECT_EQ(type_at("a.qcow2", 192 * KiB), ClusterType::ZeroPlain);
  EXPECT_EQ(type_at("a.qcow2", 319 * KiB), ClusterType::ZeroPlain);
  EXPECT_EQ(type_at("a.qcow2", 320 * KiB), ClusterType::Unallocated);

  write_zeroes("a.qcow2", 64 * KiB, 2 * 64 * KiB, true);
  EXPECT_EQ(type_at("a.qcow2", 0), ClusterType::ZeroAlloc);
  EXPECT_EQ(type_at("a.qcow2", 64 * KiB), ClusterType::ZeroPlain);
  EXPECT_EQ(type_at("a.qcow2", 191 * KiB), ClusterType::ZeroPlain);
  EXPECT_EQ(next_host("a.qcow2"), first + 3 * 64 * KiB);  // zeroing takes no host cluster
}

TEST_F(HostClusters, TheLastPartialClusterIsTakenWhole) {
  qcow2("a.qcow2", 200 * KiB);  // clusters 0..2 whole, cluster 3 is 8 KiB
  u64 first = next_host("a.qcow2");
  write("a.qcow2", 64 * KiB, 136 * KiB, 1);
  EXPECT_EQ(host("a.qcow2", 199 * KiB), first + 135 * KiB);
  EXPECT_EQ(next_host("a.qcow2"), first + 3 * 64 * KiB);
}

}  // namespace
}  // namespace chaincheck::model::testing
