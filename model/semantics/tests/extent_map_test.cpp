#include "model/semantics/extent_map.hpp"

#include <gtest/gtest.h>

namespace chaincheck::model {
namespace {

TEST(ExtentMap, AssignSplitsAndMergesNeighbours) {
  ExtentMap<int> m(100, 0);
  m.assign(10, 10, 1);
  EXPECT_EQ(m.extent_count(), 3u);
  m.assign(20, 10, 1);
  EXPECT_EQ(m.extents(), (std::vector<Extent<int>>{{0, 10, 0}, {10, 20, 1}, {30, 70, 0}}));
  m.assign(10, 20, 0);
  EXPECT_EQ(m.extent_count(), 1u);
}

TEST(ExtentMap, ForEachClipsToTheRange) {
  ExtentMap<int> m(100, 0);
  m.assign(40, 20, 5);
  EXPECT_EQ(m.extents(50, 100), (std::vector<Extent<int>>{{50, 10, 5}, {60, 40, 0}}));
  EXPECT_TRUE(m.extents(100, 5).empty());
}

TEST(ExtentMap, ResizeGrowsWithFillAndShrinks) {
  ExtentMap<int> m(10, 1);
  m.resize(20, 1);
  EXPECT_EQ(m.extent_count(), 1u);
  m.resize(30, 2);
  EXPECT_EQ(m.at(25), (Extent<int>{20, 10, 2}));
  m.resize(15, 0);
  EXPECT_EQ(m.extents(), (std::vector<Extent<int>>{{0, 15, 1}}));
}

TEST(ExtentMap, ResetIsAFreshMapOfTheNewSize) {
  ExtentMap<int> m(100, 0);
  m.assign(10, 30, 1);
  m.assign(60, 5, 2);
  (void)m.at(62);  // leaves the lookup hint on a later run
  m.reset(50, 3);
  EXPECT_EQ(m, (ExtentMap<int>(50, 3)));
  EXPECT_EQ(m.at(49), (Extent<int>{0, 50, 3}));
  m.reset(0, 0);
  EXPECT_EQ(m.extent_count(), 0u);
  EXPECT_TRUE(m.extents().empty());
}

TEST(ExtentMap, HugeSparseMapCostsPerExtent) {
  ExtentMap<bool> m(u64{4} << 40, false);
  for (u64 i = 0; i < 1000; ++i) m.assign(i << 30, 4096, true);
  EXPECT_EQ(m.extent_count(), 2000u);
}

}  // namespace
}  // namespace chaincheck::model
