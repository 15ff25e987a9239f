// Persistent dirty bitmaps through chain operations, block jobs and filter graphs, against
// the real QEMU: after each case every layer's bitmaps (names, granularity, enabled, dirty
// ranges over NBD) and data must be what the model says (model/semantics/bitmap_effects.hpp).
#include <gtest/gtest.h>

#include "impl/nbd/nbd_client.hpp"
#include "impl/scenario/bitmap_check.hpp"
#include "impl/scenario/layer_check.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/scenario/qsd_export.hpp"
#include "impl/scenario/tests/step_differences.hpp"
#include "model/semantics/filter_effects.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;
using K = BitmapAction::Kind;

constexpr u64 KiB = 1024;

Step bitmap(const std::string& img, const std::string& name, std::optional<u64> granularity = {},
            bool disabled = false) {
  std::vector<BitmapAction> acts = {{K::Add, ""}};
  if (disabled) acts.push_back({K::Disable, ""});
  return BitmapStep{BitmapCommand{img, name, acts, granularity, {}}};
}

// base (data at 0..128k, bitmaps bb enabled and bd disabled) under top (bitmap tb; zeroes,
// data and a zero with unmap after it).
std::vector<Step> bitmap_chain() {
  return {create(qcow2("base.qcow2", 1024 * KiB)), bitmap("base.qcow2", "bb", 4096),
          bitmap("base.qcow2", "bd", 65536, true), write("base.qcow2", 0, 128 * KiB, 1),
          create(qcow2("top.qcow2", {}, "base.qcow2")), bitmap("top.qcow2", "tb", 512),
          zero("top.qcow2", 0, 64 * KiB), write("top.qcow2", 192 * KiB, 4 * KiB, 2),
          zero("top.qcow2", 512 * KiB, 64 * KiB, true), write("top.qcow2", 768 * KiB, 6 * KiB, 3)};
}

TEST(BitmapChainLive, CommitMarksTheBaseWhereTheMirrorWritesAndKeepsTheTopsBitmaps) {
  for (bool drop : {false, true}) {
    auto steps = bitmap_chain();
    steps.push_back(CommitStep{{.top = "top.qcow2", .drop = drop}});
    SCOPED_TRACE(drop ? "commit -d" : "commit");
    EXPECT_AGREES(steps);
  }
}

TEST(BitmapChainLive, SafeRebaseMarksWhatItCopiesUnsafeRebaseNothing) {
  for (bool unsafe : {false, true}) {
    auto steps = bitmap_chain();
    steps.push_back(RebaseStep{{.image = "top.qcow2", .backing = "", .unsafe = unsafe}});
    SCOPED_TRACE(unsafe ? "rebase -u" : "rebase");
    EXPECT_AGREES(steps);
  }
}

TEST(BitmapChainLive, ConvertCopiesTheTopsBitmapsOnlyWithBitmaps) {
  for (bool with : {false, true}) {
    auto steps = bitmap_chain();
    steps.push_back(bitmap("top.qcow2", "td", 65536, true));
    steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "out.qcow2", .bitmaps = with}});
    SCOPED_TRACE(with ? "--bitmaps" : "no --bitmaps");
    EXPECT_AGREES(steps);
  }
}

TEST(BitmapChainLive, ConvertWithBitmapsAndABackingOrIntoAnExistingTarget) {
  auto steps = bitmap_chain();
  steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "out.qcow2", .backing = "base.qcow2",
                               .backing_format = ImageFormat::Qcow2, .bitmaps = true}});
  // An existing target's own bitmaps are marked by the copy; its name clash refuses --bitmaps.
  steps.push_back(create(qcow2("have.qcow2", 1024 * KiB)));
  steps.push_back(bitmap("have.qcow2", "h", 65536));
  steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "have.qcow2", .existing = true, .bitmaps = true}});
  steps.push_back(bitmap("have.qcow2", "tb", 4096));
  steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "have.qcow2", .existing = true, .bitmaps = true}});
  // A larger target: the merge is refused (sizes differ) and the new bitmap removed again.
  steps.push_back(create(qcow2("big.qcow2", 2048 * KiB)));
  steps.push_back(ConvertStep{{.source = "top.qcow2", .target = "big.qcow2", .existing = true, .bitmaps = true}});
  EXPECT_AGREES(steps);
}

TEST(BitmapChainLive, ConvertBitmapsFromARawSourceOrIntoARawTargetIsRefused) {
  std::vector<Step> steps = {raw("src.raw", 256 * KiB), write("src.raw", 0, 4 * KiB, 1),
                             ConvertStep{{.source = "src.raw", .target = "a.qcow2", .bitmaps = true}},
                             create(qcow2("q.qcow2", 256 * KiB)), bitmap("q.qcow2", "b"),
                             write("q.qcow2", 0, 4 * KiB, 1),
                             ConvertStep{{.source = "q.qcow2", .target = "b.raw", .target_format = ImageFormat::Raw,
                                          .bitmaps = true}}};
  EXPECT_AGREES(steps);
}

TEST(BitmapChainLive, StreamMarksNothingBlockCommitMarksTheBase) {
  auto steps = bitmap_chain();
  steps.push_back(StreamStep{{.image = "top.qcow2"}});
  EXPECT_AGREES(steps);
  steps = bitmap_chain();
  steps.push_back(create(qcow2("over.qcow2", {}, "top.qcow2")));
  steps.push_back(bitmap("over.qcow2", "ob", 4096));
  steps.push_back(write("over.qcow2", 64 * KiB, 4 * KiB, 7));
  steps.push_back(BlockCommitStep{{.overlay = "over.qcow2", .top = "top.qcow2"}});
  EXPECT_AGREES(steps);
}

// raw_co_pwritev adds the window's offset: the image's bitmap is marked there.
TEST(BitmapChainLive, AWriteThroughARawWindowMarksTheShiftedGranules) {
  std::vector<Step> steps = {create(qcow2("t.qcow2", 1024 * KiB)), bitmap("t.qcow2", "b", 4096)};
  GraphSpec window;
  window.filter = NodeKind::RawWindow;
  window.offset = 256 * KiB;
  window.size = 512 * KiB;
  window.child = std::make_shared<GraphSpec>(GraphSpec::of_image("t.qcow2"));
  steps.push_back(IoStep{window, {OpKind::Write, 6 * KiB, 3 * KiB, 4, false}});
  EXPECT_AGREES(steps);
}

// A read through a copy-on-read export copies the backing into the top
// (bdrv_co_do_copy_on_readv) without marking the top's bitmap: after the daemon quits the
// top allocates what it copied, its bitmap is still clean, as the model says.
TEST(BitmapChainLive, CopyOnReadThroughAQsdExportMarksNothing) {
  Workspace ws;
  ImageFormats formats;
  ModelState s;
  s.host = measure_host_fs();
  Scenario sc;
  sc.steps = {create(qcow2("base.qcow2", 512 * KiB)), write("base.qcow2", 0, 192 * KiB, 1),
              create(qcow2("top.qcow2", {}, "base.qcow2")), bitmap("top.qcow2", "tb", 4096),
              write("top.qcow2", 256 * KiB, 4 * KiB, 2)};
  for (const auto& e : realize_steps(sc, ws, formats)) ASSERT_EQ(e, "");
  for (const auto& st : sc.steps) ASSERT_EQ(apply_step(s, st), "");
  GraphSpec cor;
  cor.filter = NodeKind::CopyOnRead;
  cor.child = std::make_shared<GraphSpec>(GraphSpec::of_image("top.qcow2"));
  {
    QsdExport ex(cor, formats, ws.path(), BlockdevOptions{}, {"tb"});
    NbdClient client;
    client.set_export_name(ex.export_name());
    client.request_meta_context(dirty_bitmap_context("tb"));
    client.connect_unix(ex.socket());
    NbdObservation before = observe_block_status(client);
    read_runs(client, before.export_size);
    client.disconnect();
    ex.stop();
  }
  read_export(s, build_graph(s, cor));  // as the server reads: holes are never read (structured replies)
  for (const auto& d : compare_layers(s, ws, formats)) ADD_FAILURE() << d;
  // Not a test that cannot fail: the top now allocates the copied range.
  EXPECT_EQ(s.image(s.find("top.qcow2")).qcow2().units.at(0).value.type, ClusterType::Normal);
}

// block-export-add "bitmaps" on graphs only qemu-storage-daemon builds: a bitmap of the top
// under copy-on-read (a writable export), and one of the base found through a throttle
// filter between the layers (nbd_export_create: bdrv_filter_or_cow_bs).
TEST(BitmapChainLive, QsdExportsServeBitmapsUnderFiltersAsTheModelSays) {
  Scenario sc;
  sc.steps = {create(qcow2("base.qcow2", 512 * KiB)), bitmap("base.qcow2", "bb", 4096),
              write("base.qcow2", 0, 64 * KiB, 1), create(qcow2("top.qcow2", {}, "base.qcow2")),
              bitmap("top.qcow2", "tb", 65536), write("top.qcow2", 200 * KiB, 512, 2)};
  GraphSpec cor;
  cor.filter = NodeKind::CopyOnRead;
  cor.child = std::make_shared<GraphSpec>(GraphSpec::of_image("top.qcow2"));
  GraphSpec throttle;
  throttle.filter = NodeKind::Throttle;
  throttle.child = std::make_shared<GraphSpec>(GraphSpec::of_image("base.qcow2"));
  GraphSpec between = GraphSpec::of_image("top.qcow2");
  between.backing = GraphSpec::Backing::Explicit;
  between.child = std::make_shared<GraphSpec>(throttle);
  for (const GraphSpec& g : {cor, between}) {
    SCOPED_TRACE(describe(g));
    sc.export_spec = ExportSpec{g, true, {"tb", "bb"}};
    sc.queries = {Query::DirtyBitmaps, Query::BaseAllocation, Query::Content};
    QemuSystem real;
    Observation r = real.run(sc);
    ASSERT_EQ(r.error, "");
    ASSERT_TRUE(r.nbd);
    ASSERT_EQ(r.nbd->error, "");
    ModelSystem m;
    Observation p = m.run(sc);
    ASSERT_TRUE(p.nbd);
    for (const char* b : {"tb", "bb"}) {
      auto got = merge_equal(context_extents(*r.nbd, dirty_bitmap_context(b)));
      EXPECT_FALSE(got.empty()) << b;
      EXPECT_EQ(got, merge_equal(context_extents(*p.nbd, dirty_bitmap_context(b)))) << b;
    }
  }
}

}  // namespace
}  // namespace chaincheck::impl
