// The model's side of the rounding comparison: sticky rules on base:allocation flags, and
// every side judged at the alignment as minimum block size.
#include "oracle/conformance/rounding_compare.hpp"

#include <gtest/gtest.h>

namespace chaincheck::oracle::conformance {
namespace {

using Extents = std::vector<model::NbdExtent>;

TEST(StickyRounded, HoleAndZeroSurviveOnlyWhereEveryPieceHasThem) {
  // data | hole,zero | zero (allocated) | hole,zero ... at 512 granularity, align 4096.
  Extents precise = {{0, 512, 0}, {512, 3584, 3}, {4096, 512, 2}, {4608, 3584, 3}, {8192, 8192, 3}};
  EXPECT_EQ(sticky_rounded(precise, 4096, 16384), (Extents{{0, 4096, 0}, {4096, 4096, 2}, {8192, 8192, 3}}));
}

TEST(StickyRounded, AnUnalignedEndKeepsItsPartialBlock) {
  Extents precise = {{0, 4096, 3}, {4096, 100, 0}};
  EXPECT_EQ(sticky_rounded(precise, 4096, 4196), (Extents{{0, 4096, 3}, {4096, 100, 0}}));
}

TEST(CompareRounding, JudgesEverySideAtTheAlignmentAndAddsTheModel) {
  Extents precise = {{0, 512, 0}, {512, 7680, 3}};
  RoundingComparison c = compare_rounding(8192, 4096, precise, {{"passes through", precise, {}}});
  ASSERT_EQ(c.sides.size(), 2u);
  EXPECT_EQ(c.sides[0].violations.size(), 1u);  // the 512-byte extent (the one after it ends at the export end)
  EXPECT_EQ(c.sides[0].violations[0].rule, "extent-not-multiple-of-min-block");
  EXPECT_EQ(c.sides[1].name, "model (sticky)");
  EXPECT_EQ(c.sides[1].extents, (Extents{{0, 4096, 0}, {4096, 4096, 3}}));
  EXPECT_TRUE(c.sides[1].violations.empty());
  EXPECT_NE(rounding_table(c).find("| 512 | 3584 | HZ | HZ | -- |"), std::string::npos) << rounding_table(c);
}

}  // namespace
}  // namespace chaincheck::oracle::conformance
