// Seed 002 (blkdebug get_status bug / NBD structured reads vs block size): a 512 B-cluster
// backing under a 1 MiB-cluster overlay, plain and under blkdebug align=4k.
#include "model/semantics/rounding.hpp"
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class Seed002 : public ModelTest {
 protected:
  void SetUp() override {
    qcow2("back.qcow2", 100 * MiB, {}, ImageFormat::Qcow2, 9);
    write("back.qcow2", 0, 512, 1);
    write("back.qcow2", 1024, 512, 1);
    qcow2("top.qcow2", std::nullopt, "back.qcow2", ImageFormat::Qcow2, 20);
  }
  Graph blkdebug(const std::string& img) {
    Graph g = open_image(s, img);
    Node f;
    f.kind = NodeKind::Blkdebug;
    f.align = 4096;
    g.push_filter(f);
    return g;
  }
};

TEST_F(Seed002, MapSeesTheBackingDataThroughTheOverlay) {
  expect_map(qemu_img_map(s, open_image(s, "top.qcow2")),
             {entry(0, 512, 1, true, false, true, kAnyOffset), entry(512, 512, 1, false, true, false),
              entry(1024, 512, 1, true, false, true, kAnyOffset),
              entry(1536, 100 * MiB - 1536, 1, false, true, false)});
}

// The 2018 bug: blkdebug hid the backing chain and map said "no data at all". A filter is
// transparent: the answer must equal the unfiltered one.
TEST_F(Seed002, BlkdebugDoesNotHideTheBackingChain) {
  EXPECT_EQ(qemu_img_map(s, blkdebug("top.qcow2")), qemu_img_map(s, open_image(s, "top.qcow2")));
  Graph g = blkdebug("top.qcow2");
  EXPECT_EQ(content(s, g, g.root, 0, 2048),
            (std::vector<Extent<std::uint8_t>>{{0, 512, 1}, {512, 512, 0}, {1024, 512, 1}, {1536, 512, 0}}));
}

TEST_F(Seed002, PreciseNbdAnswerHasSubAlignmentBoundaries) {
  Graph g = blkdebug("top.qcow2");
  EXPECT_EQ(nbd(g, NbdContext::BaseAllocation),
            (std::vector<NbdExtent>{{0, 512, 0}, {512, 512, 3}, {1024, 512, 0}, {1536, 100 * MiB - 1536, 3}}));
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth),
            (std::vector<NbdExtent>{{0, 512, 2}, {512, 512, 0}, {1024, 512, 2}, {1536, 100 * MiB - 1536, 0}}));
}

// Sticky rules: DATA sticky set, ZERO sticky clear; depth sticky toward the shallowest layer.
TEST_F(Seed002, RoundedNbdAnswerObeysTheStickyRules) {
  Graph g = blkdebug("top.qcow2");
  u64 align = node_alignment(s, g, g.root);
  ASSERT_EQ(align, 4096u);
  EXPECT_EQ(nbd(g, NbdContext::BaseAllocation, align),
            (std::vector<NbdExtent>{{0, 4096, 0}, {4096, 100 * MiB - 4096, 3}}));
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth, align),
            (std::vector<NbdExtent>{{0, 4096, 2}, {4096, 100 * MiB - 4096, 0}}));
}

TEST_F(Seed002, RoundedBlockIsAllocatedWithoutOffsetWhenPiecesMix) {
  Graph g = blkdebug("top.qcow2");
  auto rounded = round_sticky(status_extents(s, g, g.root, 0, 8192), 4096, node_length(s, g, g.root));
  ASSERT_EQ(rounded.size(), 2u);
  EXPECT_EQ(rounded[0].status.flags, kData | kAllocated);
  EXPECT_EQ(rounded[1].status.flags & ~kEof, kZero);
}

// iotest 241 / seed 002: an unaligned raw file is exported with its sector-rounded size; the
// bytes past the real end read as zero.
TEST_F(Seed002, UnalignedRawTailReadsAsZeroToTheSector) {
  ASSERT_FALSE(truncate_file(s, "tail.raw", 1000));
  write("tail.raw", 0, 1000, 7);
  Graph g = open_image(s, "tail.raw");
  EXPECT_EQ(node_length(s, g, g.root), 1024u);
  EXPECT_EQ(nbd(g, NbdContext::BaseAllocation), (std::vector<NbdExtent>{{0, 1000, 0}, {1000, 24, 3}}));
  EXPECT_EQ(nbd(g, NbdContext::BaseAllocation, 512), (std::vector<NbdExtent>{{0, 1024, 0}}));
}

}  // namespace
}  // namespace chaincheck::model::testing
