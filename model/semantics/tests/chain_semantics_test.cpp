// Chain rules that are not tied to one seed: short backings, filters, qemu-io views.
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class ShortBacking : public ModelTest {
 protected:
  void SetUp() override {
    qcow2("base.qcow2", 1 * MiB);
    write("base.qcow2", 0, 64 * KiB, 1);
    qcow2("top.qcow2", 2 * MiB, "base.qcow2");
  }
};

// bdrv_co_common_block_status_above: zeroes past a short backing file are allocated in that
// backing layer (QEMU 5.2), so allocation depth says 2 there and qemu-img map says present.
TEST_F(ShortBacking, ZeroesPastTheBackingEndBelongToTheBackingLayer) {
  Graph g = open_image(s, "top.qcow2");
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth),
            (std::vector<NbdExtent>{{0, 64 * KiB, 2}, {64 * KiB, 1 * MiB - 64 * KiB, 0}, {1 * MiB, 1 * MiB, 2}}));
  expect_map(qemu_img_map(s, g), {entry(0, 64 * KiB, 1, true, false, true, kAnyOffset),
                                  entry(64 * KiB, 1 * MiB - 64 * KiB, 1, false, true, false),
                                  entry(1 * MiB, 1 * MiB, 1, true, true, false)});
}

TEST_F(ShortBacking, WritingPastTheBackingEndCopiesZeroes) {
  write("top.qcow2", 1 * MiB + 4 * KiB, 4 * KiB, 5);
  Graph g = open_image(s, "top.qcow2");
  EXPECT_EQ(content(s, g, g.root, 1 * MiB, 64 * KiB),
            (std::vector<Extent<std::uint8_t>>{{1 * MiB, 4 * KiB, 0}, {1 * MiB + 4 * KiB, 4 * KiB, 5},
                                               {1 * MiB + 8 * KiB, 56 * KiB, 0}}));
}

class Filters : public ModelTest {
 protected:
  void SetUp() override {
    qcow2("base.qcow2", 1 * MiB);
    write("base.qcow2", 0, 64 * KiB, 1);
    qcow2("top.qcow2", std::nullopt, "base.qcow2");
    write("top.qcow2", 64 * KiB, 64 * KiB, 2);
  }
  Node filter(NodeKind k) {
    Node n;
    n.kind = k;
    return n;
  }
};

// Filters are not backing layers: "1 for the active layer, 2 for the first backing layer"
// (docs/interop/nbd.txt), whatever filters sit above or between them.
TEST_F(Filters, DepthCountsLayersNotFilters) {
  Graph plain = open_image(s, "top.qcow2");
  auto expected = nbd(plain, NbdContext::AllocationDepth);
  for (NodeKind k : {NodeKind::Blkdebug, NodeKind::CopyOnRead, NodeKind::Throttle, NodeKind::Preallocate}) {
    Graph g = open_image(s, "top.qcow2");
    g.push_filter(filter(k));
    EXPECT_EQ(nbd(g, NbdContext::AllocationDepth), expected) << to_string(k);
  }
  // A filter between the overlay and its backing (seed 001).
  Graph g;
  int base = add_image_node(g, s, s.find("base.qcow2"));
  Node cor = filter(NodeKind::CopyOnRead);
  cor.child = base;
  int mid = g.add(cor);
  g.root = add_image_node(g, s, s.find("top.qcow2"), {BackingChoice::Kind::Node, mid});
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth), expected);
}

TEST_F(Filters, RawWindowShiftsOffsetsAndLength) {
  Graph g = open_image(s, "top.qcow2");
  Node w = filter(NodeKind::RawWindow);
  w.window_offset = 64 * KiB;
  w.window_size = 128 * KiB;
  g.push_filter(w);
  EXPECT_EQ(node_length(s, g, g.root), 128 * KiB);
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth),
            (std::vector<NbdExtent>{{0, 64 * KiB, 1}, {64 * KiB, 64 * KiB, 0}}));
  ok(apply(s, g, {OpKind::Write, 64 * KiB, 64 * KiB, 7, false}));
  EXPECT_EQ(type_at("top.qcow2", 128 * KiB), ClusterType::Normal);
}

TEST_F(Filters, UnalignedZeroThroughBlkdebugIsReadModifyWritten) {
  Graph g = open_image(s, "top.qcow2");
  Node b = filter(NodeKind::Blkdebug);
  b.align = 4096;
  g.push_filter(b);
  ok(apply(s, g, {OpKind::WriteZeroes, 256 * KiB + 512, 512, 0, false}));
  // The padded 4 KiB block was written as data: the cluster is allocated, not a zero cluster.
  EXPECT_EQ(type_at("top.qcow2", 256 * KiB), ClusterType::Normal);
  EXPECT_TRUE(reads_as_zero(s, g, g.root, 256 * KiB, 64 * KiB));
}

TEST_F(Filters, CompressFilterWritesCompressedClusters) {
  Graph g = open_image(s, "top.qcow2");
  g.push_filter(filter(NodeKind::Compress));
  EXPECT_EQ(node_alignment(s, g, g.root), 64 * KiB);
  ok(apply(s, g, {OpKind::Write, 192 * KiB + 100, 10, 4, false}));
  EXPECT_EQ(type_at("top.qcow2", 192 * KiB), ClusterType::Compressed);
  EXPECT_EQ(content(s, g, g.root, 192 * KiB, 64 * KiB),
            (std::vector<Extent<std::uint8_t>>{{192 * KiB, 100, 0}, {192 * KiB + 100, 10, 4}, {192 * KiB + 110, 64 * KiB - 110, 0}}));
}

class QemuIoViews : public ModelTest {};

// qemu-io map and alloc as qemu-io 7.2.22 printed them (map_f, alloc_f in qemu-io-cmds.c).
TEST_F(QemuIoViews, MapAndAllocSeeTheTopLayerOnly) {
  qcow2("base.qcow2", 1 * MiB);
  write("base.qcow2", 0, 64 * KiB, 1);
  write_zeroes("base.qcow2", 128 * KiB, 64 * KiB);
  qcow2("top.qcow2", 2 * MiB, "base.qcow2");
  write("top.qcow2", 64 * KiB, 64 * KiB, 2);
  write_zeroes("top.qcow2", 192 * KiB, 64 * KiB);
  write_zeroes("top.qcow2", 256 * KiB, 64 * KiB, true);
  Graph g = open_image(s, "top.qcow2");
  EXPECT_EQ(qemu_io_map_text(qemu_io_map(s, g)),
            "64 KiB (0x10000) bytes not allocated at offset 0 bytes (0x0)\n"
            "64 KiB (0x10000) bytes     allocated at offset 64 KiB (0x10000)\n"
            "64 KiB (0x10000) bytes not allocated at offset 128 KiB (0x20000)\n"
            "128 KiB (0x20000) bytes     allocated at offset 192 KiB (0x30000)\n"
            "1.688 MiB (0x1b0000) bytes not allocated at offset 320 KiB (0x50000)\n");
  EXPECT_EQ(qemu_io_alloc_text(qemu_io_alloc(s, g, 0, 2 * MiB)), "196608/2097152 bytes allocated at offset 0 bytes\n");
  EXPECT_EQ(qemu_io_alloc(s, g, 2 * MiB - 512, 4096).count, 512u);
  EXPECT_EQ(nbd(g, NbdContext::BaseAllocation),
            (std::vector<NbdExtent>{{0, 128 * KiB, 0}, {128 * KiB, 1920 * KiB, 3}}));
  EXPECT_EQ(nbd(g, NbdContext::AllocationDepth),
            (std::vector<NbdExtent>{{0, 64 * KiB, 2}, {64 * KiB, 64 * KiB, 1}, {128 * KiB, 64 * KiB, 2},
                                    {192 * KiB, 128 * KiB, 1}, {320 * KiB, 704 * KiB, 0}, {1 * MiB, 1 * MiB, 2}}));
}

TEST(QemuIoSize, FormatsLikeCvtstr) {
  EXPECT_EQ(qemu_io_size(0), "0 bytes");
  EXPECT_EQ(qemu_io_size(512), "512 bytes");
  EXPECT_EQ(qemu_io_size(64 * KiB), "64 KiB");
  EXPECT_EQ(qemu_io_size(1769472), "1.688 MiB");
  EXPECT_EQ(qemu_io_size(u64{1} << 40), "1 TiB");
}

TEST(RawCreate, QemuImgCreateAllocatesTheFirstBlock) {
  ModelState s;
  CreateOptions o;
  o.name = "r.raw";
  o.format = ImageFormat::Raw;
  o.size = 1 * MiB;
  ASSERT_FALSE(create_image(s, o));
  auto m = qemu_img_map(s, open_image(s, "r.raw"));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], entry(0, 4096, 0, true, false, true, 0));
  EXPECT_EQ(m[1], entry(4096, 1 * MiB - 4096, 0, true, true, false, 4096));
}

}  // namespace
}  // namespace chaincheck::model::testing
