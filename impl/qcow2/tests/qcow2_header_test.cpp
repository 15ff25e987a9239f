// Header fields and extensions of hand-built images.
#include "impl/qcow2/tests/qcow2_test_support.hpp"

namespace chaincheck::impl::testing {
namespace {

TEST(Qcow2Header, ReadsV3Fields) {
  Qcow2ImageBuilder b({.cluster_bits = 12, .virtual_size = 3 << 20, .refcount_order = 5});
  const auto img = inspect(b);
  EXPECT_EQ(img.version(), 3u);
  EXPECT_EQ(img.cluster_size(), 4096u);
  EXPECT_EQ(img.subcluster_size(), 4096u);
  EXPECT_EQ(img.virtual_size(), 3u << 20);
  EXPECT_EQ(img.refcount_order(), 5u);
  EXPECT_EQ(img.l1_size(), b.l1_size());
  EXPECT_EQ(img.l1_table_offset(), b.l1_table_offset());
  EXPECT_FALSE(img.extended_l2());
  EXPECT_FALSE(img.external_data_file());
  EXPECT_FALSE(img.backing_file());
  EXPECT_FALSE(img.backing_format());
  EXPECT_EQ(img.compression_type(), 0);
  EXPECT_EQ(img.header().header_length, 112u);
}

TEST(Qcow2Header, V2AssumesRefcountOrder4AndNoFeatures) {
  Qcow2ImageBuilder b({.version = 2});
  const auto img = inspect(b);
  EXPECT_EQ(img.version(), 2u);
  EXPECT_EQ(img.refcount_order(), 4u);
  EXPECT_EQ(img.incompatible_features(), 0u);
  EXPECT_EQ(img.header().header_length, 72u);
  EXPECT_TRUE(img.check().empty());
}

TEST(Qcow2Header, BackingFileNameAndFormatExtension) {
  Qcow2ImageBuilder b({.backing_file = std::string("base image.qcow2"), .backing_format = std::string("qcow2")});
  const auto img = inspect(b);
  ASSERT_TRUE(img.backing_file());
  EXPECT_EQ(*img.backing_file(), "base image.qcow2");
  ASSERT_TRUE(img.backing_format());
  EXPECT_EQ(*img.backing_format(), "qcow2");
}

TEST(Qcow2Header, ExtendedL2HasThirtyTwoSubclusters) {
  Qcow2ImageBuilder b({.cluster_bits = 16, .extended_l2 = true});
  const auto img = inspect(b);
  EXPECT_TRUE(img.extended_l2());
  EXPECT_EQ(img.subcluster_size(), 2048u);
  EXPECT_EQ(img.incompatible_features() & (1u << 4), 1u << 4);
}

TEST(Qcow2Header, FeatureNameTableIsRead) {
  Qcow2ImageBuilder b({.incompatible_feature_names = {{0, "dirty bit"}, {4, "extended L2 entries"}}});
  const auto img = inspect(b);
  ASSERT_EQ(img.extensions().feature_names.size(), 2u);
  EXPECT_EQ(img.extensions().feature_names[1].bit, 4);
  EXPECT_EQ(img.extensions().feature_names[1].name, "extended L2 entries");
}

TEST(Qcow2Header, DirtyImageOpensAndCheckSaysRefcountsUntrusted) {
  Qcow2ImageBuilder b({.extra_incompatible_bits = 1});
  const auto img = inspect(b);
  ASSERT_FALSE(img.check().empty());
  EXPECT_NE(img.check()[0].find("dirty"), std::string::npos);
}

}  // namespace
}  // namespace chaincheck::impl::testing
