// After an active commit's pivot an export's graph reads the base where it read the device.
#include <gtest/gtest.h>

#include <memory>

#include "oracle/transcript_replay_qmp.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

GraphSpec filter_over(NodeKind kind, GraphSpec child) {
  GraphSpec f;
  f.filter = kind;
  f.child = std::make_shared<GraphSpec>(std::move(child));
  return f;
}

TEST(ReproPivot, AFilterAboveTheDeviceNowReadsTheBase) {
  GraphSpec g = filter_over(NodeKind::Throttle, GraphSpec::of_image("top.qcow2"));
  ASSERT_TRUE(replace_pivoted_node(g, "top.qcow2", GraphSpec::of_image("mid.qcow2")));
  EXPECT_EQ(describe(g), describe(filter_over(NodeKind::Throttle, GraphSpec::of_image("mid.qcow2"))));
}

TEST(ReproPivot, AnOverlayWhoseBackingIsTheDeviceNowHasTheBaseBelow) {
  GraphSpec over = GraphSpec::of_image("snap.qcow2");
  over.backing = GraphSpec::Backing::Explicit;
  over.child = std::make_shared<GraphSpec>(GraphSpec::of_image("top.qcow2"));
  ASSERT_TRUE(replace_pivoted_node(over, "top.qcow2", GraphSpec::of_image("base.qcow2", true)));
  ASSERT_TRUE(over.child);
  EXPECT_EQ(*over.child->image, "base.qcow2");
  EXPECT_EQ(over.child->backing, GraphSpec::Backing::Null);
  EXPECT_EQ(*over.image, "snap.qcow2");
}

TEST(ReproPivot, AGraphWithoutTheDeviceIsLeftAlone) {
  GraphSpec g = filter_over(NodeKind::Blkdebug, GraphSpec::of_image("other.qcow2"));
  const std::string before = describe(g);
  EXPECT_FALSE(replace_pivoted_node(g, "top.qcow2", GraphSpec::of_image("base.qcow2")));
  EXPECT_EQ(describe(g), before);
}

}  // namespace
}  // namespace chaincheck::oracle
