// Seed 000 (qemu:joint-allocation): raw vs qcow2 allocation depth and the joint view.
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class Seed000 : public ModelTest {};

TEST_F(Seed000, EmptyRawIsEntirelyLocal) {
  ASSERT_FALSE(truncate_file(s, "empty.raw", 1024 * MiB));
  Graph g = open_image(s, "empty.raw");
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth), (std::vector<NbdExtent>{{0, 1024 * MiB, 1}}));
  // "0 1073741824 7 hole,zero,local": raw files have no backing, so holes are local.
  EXPECT_EQ(nbd(g, NbdContext::JointAllocation),
            (std::vector<NbdExtent>{{0, 1024 * MiB, kNbdHole | kNbdZero | kJointLocal}}));
}

TEST_F(Seed000, EmptyQcow2IsEntirelyAbsent) {
  qcow2("empty.qcow2", 1024 * MiB);
  Graph g = open_image(s, "empty.qcow2");
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth), (std::vector<NbdExtent>{{0, 1024 * MiB, 0}}));
  EXPECT_EQ(nbd(g, NbdContext::JointAllocation), (std::vector<NbdExtent>{{0, 1024 * MiB, 3}}));
}

class Seed000Chain : public ModelTest {
 protected:
  void SetUp() override { seed004_chain(); }
};

// nbdinfo --map=qemu:joint-allocation over the top exported with backing: null:
// 3 hole,zero,unallocated / 4 allocated,local / 7 hole,zero,local / 3 hole,zero,unallocated
TEST_F(Seed000Chain, JointAllocationTableWithNullBacking) {
  Graph g = open_image(s, "top.qcow2", true);
  EXPECT_EQ(nbd(g, NbdContext::JointAllocation),
            (std::vector<NbdExtent>{{0, 64 * KiB, 3}, {64 * KiB, 64 * KiB, 4}, {128 * KiB, 64 * KiB, 7},
                                    {192 * KiB, 64 * KiB, 3}}));
}

TEST_F(Seed000Chain, ClientMergerRebuildsJointViewFromTwoContexts) {
  for (bool null_backing : {true, false}) {
    Graph g = open_image(s, "top.qcow2", null_backing);
    EXPECT_EQ(joint_from_contexts(nbd(g, NbdContext::BaseAllocation), nbd(g, NbdContext::AllocationDepth)),
              nbd(g, NbdContext::JointAllocation));
  }
}

TEST_F(Seed000Chain, JointAllocationWithBackingMarksBackingClusters) {
  Graph g = open_image(s, "top.qcow2");
  // cluster 0: base data (BACKING); 1: local data; 2: local zero (hole); 3: raw hole in base.
  EXPECT_EQ(nbd(g, NbdContext::JointAllocation),
            (std::vector<NbdExtent>{{0, 64 * KiB, kJointBacking},
                                    {64 * KiB, 64 * KiB, kJointLocal},
                                    {128 * KiB, 64 * KiB, 3 | kJointLocal},
                                    {192 * KiB, 64 * KiB, 3 | kJointBacking}}));
}

}  // namespace
}  // namespace chaincheck::model::testing
