// Refcount widths and the consistency check.
#include "impl/qcow2/tests/qcow2_test_support.hpp"

namespace chaincheck::impl::testing {
namespace {

class Qcow2RefcountWidth : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(Qcow2RefcountWidth, ReadsEveryWidthFromOneTo64Bits) {
  const std::uint32_t order = GetParam();
  Qcow2ImageBuilder b({.cluster_bits = 12, .refcount_order = order});
  const std::uint64_t max = order == 6 ? ~std::uint64_t{0} : (std::uint64_t{1} << (1u << order)) - 1;
  const std::vector<std::uint64_t> values{0, 1, max, max / 3, 1, max};
  for (std::size_t i = 0; i < values.size(); ++i) b.set_refcount(10 + i, values[i]);
  const auto img = inspect(b);
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(img.refcount(10 + i), values[i]) << "cluster " << 10 + i;
  EXPECT_EQ(img.refcount(0), 1u);  // header
  EXPECT_EQ(img.refcount(std::uint64_t{1} << 40), 0u);  // past the refcount table
}

INSTANTIATE_TEST_SUITE_P(Orders, Qcow2RefcountWidth, ::testing::Range(0u, 7u));

TEST(Qcow2Refcount, CheckFindsUnreferencedAndCopiedMismatches) {
  Qcow2ImageBuilder b({.virtual_size = 1 << 20});
  const std::uint64_t host = b.map_data_cluster(2);
  const auto clean = inspect(b);
  EXPECT_EQ(clean.refcount(host >> 16), 1u);
  EXPECT_TRUE(clean.check().empty()) << clean.check()[0];

  b.set_refcount(host >> 16, 0);
  auto problems = inspect(b).check();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "data cluster at L1 index 0, L2 index 2 (guest offset 0x20000) at host offset " + hex(host) +
                             " has refcount 0");
  EXPECT_EQ(problems[1], "L2 entry at L1 index 0, L2 index 2 (guest offset 0x20000): COPIED flag set but refcount of " +
                             hex(host) + " is 0");

  b.set_refcount(host >> 16, 2);  // shared (e.g. by a snapshot): fine without COPIED
  b.set_l2_entry(2, host);
  EXPECT_TRUE(inspect(b).check().empty());
}

TEST(Qcow2Refcount, CheckFindsDataPastTheEndAndReservedBits) {
  Qcow2ImageBuilder b({.virtual_size = 1 << 30});  // two L1 entries
  b.set_l2_entry(0, std::uint64_t{1} << 40 | 0x2);
  b.put_be64(b.l1_table_offset() + 8, std::uint64_t{1} << 60);  // reserved bits only
  const auto problems = inspect(b).check();
  ASSERT_EQ(problems.size(), 3u) << problems[0];
  EXPECT_EQ(problems[0], "L2 entry at L1 index 0, L2 index 0 (guest offset 0x0) 0x10000000002 has reserved bits 0x2 set");
  EXPECT_EQ(problems[1], "data cluster at L1 index 0, L2 index 0 (guest offset 0x0) (host 0x10000000000) is beyond the "
                         "end of the file");
  EXPECT_EQ(problems[2], "L1 entry 1 0x1000000000000000 has reserved bits set");
}

TEST(Qcow2Refcount, CheckFindsUnreferencedMetadata) {
  Qcow2ImageBuilder b;
  b.map_data_cluster(0);
  b.set_refcount(b.l2_table_offset(0) >> 16, 0);
  b.set_refcount(b.l1_table_offset() >> 16, 0);
  const auto problems = inspect(b).check();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0], "L1 table cluster at host offset 0x30000 has refcount 0");
  EXPECT_NE(problems[1].find("L2 table of L1 entry 0 at host offset"), std::string::npos);
  EXPECT_NE(problems[2].find("COPIED flag set but refcount"), std::string::npos);
}

}  // namespace
}  // namespace chaincheck::impl::testing
