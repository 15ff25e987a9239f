// Dirty bitmaps in the model: qemu-img bitmap's offline operations, how guest operations
// mark them at their granularity, and the qemu:dirty-bitmap:NAME projection.
#include "model/semantics/bitmaps.hpp"
#include "model/scenario/model_system.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class Bitmaps : public ModelTest {
 protected:
  std::optional<OpError> bitmap(const std::string& img, const std::string& name,
                                std::vector<BitmapAction> actions, std::optional<u64> granularity = {},
                                std::optional<std::string> source_image = {}) {
    return apply_bitmap_command(s, BitmapCommand{img, name, std::move(actions), granularity, source_image});
  }
  static BitmapAction act(BitmapAction::Kind k, std::string source = "") { return {k, std::move(source)}; }
  // The NBD context of a bitmap exported from `img`, over the whole image.
  std::vector<NbdExtent> exported(const std::string& img, const std::string& name) {
    Graph g = open_image(s, img);
    const DirtyBitmap* b = find_export_bitmap(s, g, name);
    EXPECT_NE(b, nullptr) << name;
    if (!b) return {};
    return dirty_bitmap_extents(*b, 0, node_length(s, g, g.root));
  }
};

using K = BitmapAction::Kind;

TEST_F(Bitmaps, DefaultGranularityIsTheClusterSizeClampedTo4kAnd64k) {
  qcow2("small.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 9);
  qcow2("mid.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 15);
  qcow2("big.qcow2", 4 * MiB, {}, ImageFormat::Qcow2, 21);
  for (const char* n : {"small.qcow2", "mid.qcow2", "big.qcow2"}) ok(bitmap(n, "b", {act(K::Add)}));
  EXPECT_EQ(s.image(s.find("small.qcow2")).qcow2().bitmaps.at(0).granularity, 4 * KiB);
  EXPECT_EQ(s.image(s.find("mid.qcow2")).qcow2().bitmaps.at(0).granularity, 32 * KiB);
  EXPECT_EQ(s.image(s.find("big.qcow2")).qcow2().bitmaps.at(0).granularity, 64 * KiB);
}

TEST_F(Bitmaps, AWriteMarksEveryGranuleItTouches) {
  qcow2("t.qcow2", 1 * MiB);
  ok(bitmap("t.qcow2", "b", {act(K::Add)}, 64 * KiB));
  write("t.qcow2", 100 * KiB, 1, 7);           // one byte: the whole granule 64k..128k
  write("t.qcow2", 191 * KiB, 2 * KiB, 7);     // straddles 192k: two granules
  EXPECT_EQ(exported("t.qcow2", "b"),
            (std::vector<NbdExtent>{{0, 64 * KiB, 0}, {64 * KiB, 192 * KiB, kNbdDirty}, {256 * KiB, 768 * KiB, 0}}));
}

TEST_F(Bitmaps, ZeroWritesDiscardsAndCompressedWritesMarkToo) {
  qcow2("t.qcow2", 1 * MiB);
  ok(bitmap("t.qcow2", "b", {act(K::Add)}, 4 * KiB));
  write_zeroes("t.qcow2", 0, 512);
  discard("t.qcow2", 8 * KiB, 4 * KiB);
  write_compressed("t.qcow2", 64 * KiB, 64 * KiB, 3);
  EXPECT_EQ(exported("t.qcow2", "b"),
            (std::vector<NbdExtent>{{0, 4 * KiB, kNbdDirty}, {4 * KiB, 4 * KiB, 0}, {8 * KiB, 4 * KiB, kNbdDirty},
                                    {12 * KiB, 52 * KiB, 0}, {64 * KiB, 64 * KiB, kNbdDirty},
                                    {128 * KiB, 896 * KiB, 0}}));
}

TEST_F(Bitmaps, TheLastGranuleIsClippedAtTheImageEnd) {
  qcow2("t.qcow2", 100 * KiB);
  ok(bitmap("t.qcow2", "b", {act(K::Add)}, 64 * KiB));
  write("t.qcow2", 99 * KiB, 1 * KiB, 1);
  EXPECT_EQ(exported("t.qcow2", "b"), (std::vector<NbdExtent>{{0, 64 * KiB, 0}, {64 * KiB, 36 * KiB, kNbdDirty}}));
}

TEST_F(Bitmaps, DisabledBitmapsIgnoreWritesUntilEnabled) {
  qcow2("t.qcow2", 1 * MiB);
  ok(bitmap("t.qcow2", "b", {act(K::Add), act(K::Disable)}, 64 * KiB));
  write("t.qcow2", 0, 4 * KiB, 1);
  EXPECT_EQ(exported("t.qcow2", "b"), (std::vector<NbdExtent>{{0, 1 * MiB, 0}}));
  ok(bitmap("t.qcow2", "b", {act(K::Enable)}));
  write("t.qcow2", 128 * KiB, 4 * KiB, 1);
  EXPECT_EQ(exported("t.qcow2", "b"),
            (std::vector<NbdExtent>{{0, 128 * KiB, 0}, {128 * KiB, 64 * KiB, kNbdDirty}, {192 * KiB, 832 * KiB, 0}}));
}

TEST_F(Bitmaps, ClearEmptiesAndRemoveForgets) {
  qcow2("t.qcow2", 1 * MiB);
  ok(bitmap("t.qcow2", "b", {act(K::Add)}));
  write("t.qcow2", 0, 4 * KiB, 1);
  ok(bitmap("t.qcow2", "b", {act(K::Clear)}));
  EXPECT_EQ(exported("t.qcow2", "b"), (std::vector<NbdExtent>{{0, 1 * MiB, 0}}));
  ok(bitmap("t.qcow2", "b", {act(K::Remove)}));
  EXPECT_EQ(find_export_bitmap(s, open_image(s, "t.qcow2"), "b"), nullptr);
  EXPECT_TRUE(bitmap("t.qcow2", "b", {act(K::Clear)}).has_value());
}

TEST_F(Bitmaps, MergeSetsTheSourcesAreasAtTheTargetsGranularity) {
  qcow2("t.qcow2", 1 * MiB);
  ok(bitmap("t.qcow2", "fine", {act(K::Add)}, 4 * KiB));
  ok(bitmap("t.qcow2", "coarse", {act(K::Add), act(K::Disable)}, 64 * KiB));
  write("t.qcow2", 70 * KiB, 1 * KiB, 1);
  EXPECT_EQ(exported("t.qcow2", "coarse"), (std::vector<NbdExtent>{{0, 1 * MiB, 0}}));
  // A disabled target still takes a merge (bdrv_merge_dirty_bitmap checks busy/readonly only).
  ok(bitmap("t.qcow2", "coarse", {act(K::Merge, "fine")}));
  EXPECT_EQ(exported("t.qcow2", "coarse"),
            (std::vector<NbdExtent>{{0, 64 * KiB, 0}, {64 * KiB, 64 * KiB, kNbdDirty}, {128 * KiB, 896 * KiB, 0}}));
  EXPECT_EQ(exported("t.qcow2", "fine"),
            (std::vector<NbdExtent>{{0, 68 * KiB, 0}, {68 * KiB, 4 * KiB, kNbdDirty}, {72 * KiB, 952 * KiB, 0}}));
}

TEST_F(Bitmaps, MergeFromAnotherImageNeedsTheSameSize) {
  qcow2("a.qcow2", 1 * MiB);
  qcow2("b.qcow2", 1 * MiB);
  qcow2("c.qcow2", 2 * MiB);
  for (const char* n : {"a.qcow2", "b.qcow2", "c.qcow2"}) ok(bitmap(n, "x", {act(K::Add)}));
  write("b.qcow2", 0, 1, 1);
  ok(bitmap("a.qcow2", "x", {act(K::Merge, "x")}, {}, "b.qcow2"));
  EXPECT_EQ(exported("a.qcow2", "x").front(), (NbdExtent{0, 64 * KiB, kNbdDirty}));
  EXPECT_TRUE(bitmap("a.qcow2", "x", {act(K::Merge, "x")}, {}, "c.qcow2").has_value());
}

TEST_F(Bitmaps, RefusalsFollowQemuImg) {
  qcow2("t.qcow2", 1 * MiB);
  qcow2("v2.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16, false, Preallocation::Off, false);
  raw("r.raw", 1 * MiB);
  ok(bitmap("t.qcow2", "b", {act(K::Add)}));
  EXPECT_TRUE(bitmap("t.qcow2", "b", {act(K::Add)}).has_value()) << "already exists";
  EXPECT_TRUE(bitmap("t.qcow2", "c", {act(K::Add)}, 1000).has_value()) << "not a power of two";
  EXPECT_TRUE(bitmap("t.qcow2", "c", {act(K::Add)}, 256).has_value()) << "under 512";
  EXPECT_TRUE(bitmap("t.qcow2", "b", {act(K::Clear)}, 4096).has_value()) << "-g without --add";
  EXPECT_TRUE(bitmap("t.qcow2", "missing", {act(K::Enable)}).has_value());
  EXPECT_TRUE(bitmap("v2.qcow2", "b", {act(K::Add)}).has_value()) << "compat=0.10 stores no bitmaps";
  EXPECT_TRUE(bitmap("r.raw", "b", {act(K::Add)}).has_value());
}

TEST_F(Bitmaps, ActionsBeforeAFailingOneStayApplied) {
  qcow2("t.qcow2", 1 * MiB);
  EXPECT_TRUE(bitmap("t.qcow2", "b", {act(K::Add), act(K::Merge, "nope")}).has_value());
  EXPECT_NE(find_export_bitmap(s, open_image(s, "t.qcow2"), "b"), nullptr);
}

TEST_F(Bitmaps, WritesMarkOnlyTheLayerWrittenAndExportsFindBackingBitmaps) {
  qcow2("base.qcow2", 1 * MiB);
  ok(bitmap("base.qcow2", "old", {act(K::Add)}));
  qcow2("top.qcow2", {}, "base.qcow2");
  ok(bitmap("top.qcow2", "new", {act(K::Add)}));
  write("top.qcow2", 0, 4 * KiB, 1);
  EXPECT_EQ(exported("top.qcow2", "old"), (std::vector<NbdExtent>{{0, 1 * MiB, 0}}));
  EXPECT_EQ(exported("top.qcow2", "new").front(), (NbdExtent{0, 64 * KiB, kNbdDirty}));
}

TEST_F(Bitmaps, ARawWindowHidesBitmapsFromTheExport) {
  qcow2("t.qcow2", 1 * MiB);
  ok(bitmap("t.qcow2", "b", {act(K::Add)}));
  Graph g = open_image(s, "t.qcow2");
  g.push_filter(Node{NodeKind::Throttle});
  EXPECT_NE(find_export_bitmap(s, g, "b"), nullptr);
  Node window{NodeKind::RawWindow};
  window.window_offset = 4096;
  g.push_filter(window);
  EXPECT_EQ(find_export_bitmap(s, g, "b"), nullptr);
}

TEST_F(Bitmaps, ExtentsAreClippedToTheRequestAndCleanPastTheBitmap) {
  qcow2("t.qcow2", 256 * KiB);
  ok(bitmap("t.qcow2", "b", {act(K::Add)}, 64 * KiB));
  write("t.qcow2", 64 * KiB, 1, 1);
  const DirtyBitmap& b = s.image(s.find("t.qcow2")).qcow2().bitmaps.at(0);
  EXPECT_EQ(dirty_bitmap_extents(b, 100 * KiB, 60 * KiB), (std::vector<NbdExtent>{{100 * KiB, 28 * KiB, kNbdDirty},
                                                                                 {128 * KiB, 32 * KiB, 0}}));
  EXPECT_EQ(dirty_bitmap_extents(b, 200 * KiB, 100 * KiB), (std::vector<NbdExtent>{{200 * KiB, 100 * KiB, 0}}));
}

TEST(BitmapScenario, PredictionCarriesOneContextPerExportedBitmap) {
  Scenario sc;
  CreateOptions o;
  o.name = "t.qcow2";
  o.size = 1 * MiB;
  sc.steps.push_back(CreateStep{o});
  sc.steps.push_back(BitmapStep{BitmapCommand{"t.qcow2", "a", {{K::Add, ""}}, 4 * KiB, {}}});
  sc.steps.push_back(BitmapStep{BitmapCommand{"t.qcow2", "b", {{K::Add, ""}, {K::Disable, ""}}, {}, {}}});
  IoStep io;
  io.graph = GraphSpec::of_image("t.qcow2");
  io.op = {OpKind::Write, 4 * KiB, 4 * KiB, 9, false};
  sc.steps.push_back(io);
  sc.export_spec = ExportSpec{GraphSpec::of_image("t.qcow2"), true, {"a", "b"}};
  sc.queries = {Query::BaseAllocation, Query::DirtyBitmaps};
  ModelSystem m;
  Observation obs = m.run(sc);
  ASSERT_TRUE(obs.nbd);
  EXPECT_EQ(context_extents(*obs.nbd, "qemu:dirty-bitmap:a"),
            (std::vector<NbdExtent>{{0, 4 * KiB, 0}, {4 * KiB, 4 * KiB, kNbdDirty}, {8 * KiB, 1016 * KiB, 0}}));
  EXPECT_EQ(context_extents(*obs.nbd, "qemu:dirty-bitmap:b"), (std::vector<NbdExtent>{{0, 1 * MiB, 0}}));
  for (const auto& e : obs.step_errors) EXPECT_EQ(e, "");
}

}  // namespace
}  // namespace chaincheck::model::testing

namespace chaincheck::model::testing {
namespace {

TEST(DirtyBitmapRounding, ABlockWithAnyDirtyByteIsDirtyUnderALargerMinimumBlock) {
  DirtyBitmap b{"b", 512, true, ExtentMap<bool>(64 * KiB, false)};
  b.dirty.assign(5 * 512, 512, true);     // inside block 0..4k
  b.dirty.assign(16 * KiB, 8 * KiB, true);  // whole blocks 16k..24k
  EXPECT_EQ(dirty_bitmap_extents(b, 0, 64 * KiB, 4 * KiB),
            (std::vector<NbdExtent>{{0, 4 * KiB, kNbdDirty}, {4 * KiB, 12 * KiB, 0}, {16 * KiB, 8 * KiB, kNbdDirty},
                                    {24 * KiB, 40 * KiB, 0}}));
  // Without a minimum block the granules come through as they are.
  EXPECT_EQ(dirty_bitmap_extents(b, 0, 8 * KiB).at(1), (NbdExtent{2560, 512, kNbdDirty}));
}

TEST(DirtyBitmapRounding, TheExportsShortTailBlockKeepsItsLength) {
  DirtyBitmap b{"b", 512, true, ExtentMap<bool>(9 * KiB, false)};
  b.dirty.assign(8 * KiB + 512, 512, true);
  EXPECT_EQ(dirty_bitmap_extents(b, 0, 9 * KiB, 4 * KiB),
            (std::vector<NbdExtent>{{0, 8 * KiB, 0}, {8 * KiB, 1 * KiB, kNbdDirty}}));
}

}  // namespace
}  // namespace chaincheck::model::testing

namespace chaincheck::model::testing {
namespace {

TEST_F(ModelTest, ACompressedWriteTheDriverRefusesStillMarksItsRange) {
  // Found by the campaign (seed 7): qcow2 refuses write -c over an allocated cluster with
  // EIO, yet bdrv_co_write_req_finish has marked the request's range.
  qcow2("t.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16);
  ok(apply_bitmap_command(s, BitmapCommand{"t.qcow2", "b", {{BitmapAction::Kind::Add, ""}}, 65536, {}}));
  write("t.qcow2", 0, 4096, 1);
  ok(apply_bitmap_command(s, BitmapCommand{"t.qcow2", "b", {{BitmapAction::Kind::Clear, ""}}, {}, {}}));
  EXPECT_TRUE(apply(s, open_image(s, "t.qcow2"), {OpKind::WriteCompressed, 0, 65536, 2, false}).has_value());
  // An unaligned compressed write is refused by the driver too, and marks as well.
  EXPECT_TRUE(apply(s, open_image(s, "t.qcow2"), {OpKind::WriteCompressed, 128 * KiB + 512, 4096, 2, false}).has_value());
  const DirtyBitmap& b = s.image(s.find("t.qcow2")).qcow2().bitmaps.at(0);
  EXPECT_EQ(dirty_bitmap_extents(b, 0, 1 * MiB),
            (std::vector<NbdExtent>{{0, 64 * KiB, kNbdDirty}, {64 * KiB, 64 * KiB, 0}, {128 * KiB, 64 * KiB, kNbdDirty},
                                    {192 * KiB, 832 * KiB, 0}}));
}

}  // namespace
}  // namespace chaincheck::model::testing

namespace chaincheck::model::testing {
namespace {

TEST_F(ModelTest, AnUnalignedWriteThroughBlkdebugMarksThePaddedBlocks) {
  qcow2("t.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 12);
  ok(apply_bitmap_command(s, BitmapCommand{"t.qcow2", "fine", {{BitmapAction::Kind::Add, ""}}, 512, {}}));
  Graph g = open_image(s, "t.qcow2");
  Node dbg{NodeKind::Blkdebug};
  dbg.align = 4096;
  g.push_filter(dbg);
  ok(apply(s, g, {OpKind::Write, 5000, 100, 1, false}));
  const DirtyBitmap& b = s.image(s.find("t.qcow2")).qcow2().bitmaps.at(0);
  EXPECT_EQ(dirty_bitmap_extents(b, 0, 16 * KiB),
            (std::vector<NbdExtent>{{0, 4 * KiB, 0}, {4 * KiB, 4 * KiB, kNbdDirty}, {8 * KiB, 8 * KiB, 0}}));
  // The padding rewrote the block's old bytes: only the written ones changed.
  auto bytes = content(s, g, g.root, 4096, 4096);
  EXPECT_EQ(bytes, (std::vector<Extent<std::uint8_t>>{{4096, 904, 0}, {5000, 100, 1}, {5100, 3092, 0}}));
}

}  // namespace
}  // namespace chaincheck::model::testing
