// What chain operations, block jobs and filters do to each layer's persistent bitmaps
// (model/semantics/bitmap_effects.hpp): one test per rule.
#include "model/semantics/bitmap_effects.hpp"
#include "model/generate/bitmap_generator.hpp"
#include "model/semantics/bitmaps.hpp"
#include "model/semantics/block_jobs.hpp"
#include "model/semantics/chain_operations.hpp"
#include "model/scenario/chain_steps.hpp"
#include "model/semantics/filter_effects.hpp"
#include "model/generate/scenario_generator.hpp"
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

using K = BitmapAction::Kind;
using Ranges = std::vector<std::pair<u64, u64>>;

class BitmapEffects : public ModelTest {
 protected:
  void add(const std::string& img, const std::string& name, u64 granularity, bool disabled = false) {
    std::vector<BitmapAction> acts = {{K::Add, ""}};
    if (disabled) acts.push_back({K::Disable, ""});
    ok(apply_bitmap_command(s, BitmapCommand{img, name, acts, granularity, {}}));
  }
  const DirtyBitmap* find(const std::string& img, const std::string& name) {
    for (const DirtyBitmap& b : s.image(s.find(img)).qcow2().bitmaps)
      if (b.name == name) return &b;
    return nullptr;
  }
  // The dirty ranges of a bitmap as (start, length).
  Ranges dirty(const std::string& img, const std::string& name) {
    const DirtyBitmap* b = find(img, name);
    EXPECT_NE(b, nullptr) << img << " " << name;
    Ranges out;
    if (b)
      for (const auto& e : b->dirty.extents())
        if (e.value) out.emplace_back(e.start, e.length);
    return out;
  }
  // base.qcow2 (data at 0..128k) under top.qcow2 (zeroes at 0..64k, data at 192k+4k).
  void chain() {
    qcow2("base.qcow2", 1 * MiB);
    write("base.qcow2", 0, 128 * KiB, 1);
    qcow2("top.qcow2", std::nullopt, "base.qcow2");
  }
  void top_writes() {
    write_zeroes("top.qcow2", 0, 64 * KiB);
    write("top.qcow2", 192 * KiB, 4 * KiB, 2);
  }
};

// mirror_co_zero / mirror_co_read -> blk_co_pwrite*: the base's enabled bitmaps are marked
// where the mirror writes (whole 64k chunks); bdrv_make_empty marks nothing in the top.
TEST_F(BitmapEffects, CommitMarksTheBaseWhereTheMirrorWritesAndEmptyingMarksNothing) {
  chain();
  add("base.qcow2", "b", 4096);
  add("base.qcow2", "off", 4096, true);
  add("top.qcow2", "t", 4096);
  top_writes();
  EXPECT_EQ(dirty("base.qcow2", "b"), Ranges{});
  Ranges top_before = dirty("top.qcow2", "t");
  EXPECT_EQ(top_before, (Ranges{{0, 64 * KiB}, {192 * KiB, 4 * KiB}}));
  ok(commit_image(s, {.top = "top.qcow2"}));
  EXPECT_EQ(dirty("base.qcow2", "b"), (Ranges{{0, 64 * KiB}, {192 * KiB, 64 * KiB}}));
  EXPECT_EQ(dirty("base.qcow2", "off"), Ranges{});
  EXPECT_EQ(dirty("top.qcow2", "t"), top_before);
}

// img_rebase writes the differing sectors with blk_pwrite: the image's bitmaps are marked.
TEST_F(BitmapEffects, SafeRebaseMarksTheSectorsItCopiesAndUnsafeRebaseMarksNothing) {
  for (bool unsafe : {false, true}) {
    s = ModelState{};
    chain();
    add("top.qcow2", "t", 512);
    ok(rebase_image(s, {.image = "top.qcow2", .backing = "", .unsafe = unsafe}));
    Ranges want = unsafe ? Ranges{} : Ranges{{0, 128 * KiB}};
    EXPECT_EQ(dirty("top.qcow2", "t"), want) << (unsafe ? "-u" : "safe");
  }
}

// convert_copy_bitmaps: the source top's bitmaps (not its backing's) with their
// granularity, enabled state and bits; without --bitmaps none.
TEST_F(BitmapEffects, ConvertCopiesTheTopsBitmapsOnlyWithBitmaps) {
  chain();
  add("base.qcow2", "under", 65536);
  add("top.qcow2", "t", 8192);
  add("top.qcow2", "d", 65536, true);
  top_writes();
  ok(convert_image(s, {.source = "top.qcow2", .target = "plain.qcow2"}));
  EXPECT_TRUE(s.image(s.find("plain.qcow2")).qcow2().bitmaps.empty());
  ok(convert_image(s, {.source = "top.qcow2", .target = "out.qcow2", .bitmaps = true}));
  const auto& got = s.image(s.find("out.qcow2")).qcow2().bitmaps;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], *find("top.qcow2", "t"));
  EXPECT_EQ(got[1], *find("top.qcow2", "d"));
  EXPECT_FALSE(got[1].enabled);
  EXPECT_EQ(got[0].granularity, 8192u);
}

// img_convert: a raw or qcow2 v2 source is refused before anything is created
// (convert_check_bitmaps); a raw target after it is created, before the copy; an existing
// name stops the copy.
TEST_F(BitmapEffects, ConvertBitmapsRefusals) {
  raw("src.raw", 1 * MiB);
  EXPECT_TRUE(convert_image(s, {.source = "src.raw", .target = "x.qcow2", .bitmaps = true}));
  EXPECT_LT(s.find("x.qcow2"), 0);
  qcow2("v2.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16, false, Preallocation::Off, false);
  auto v2 = convert_image(s, {.source = "v2.qcow2", .target = "x.qcow2", .bitmaps = true});
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->message, "Source lacks bitmap support");
  EXPECT_LT(s.find("x.qcow2"), 0);
  chain();
  add("top.qcow2", "t", 4096);
  write("top.qcow2", 0, 4096, 3);
  EXPECT_TRUE(convert_image(s, {.source = "top.qcow2", .target = "x.raw", .target_format = ImageFormat::Raw,
                                .bitmaps = true}));
  ASSERT_GE(s.find("x.raw"), 0);
  Graph g = open_image(s, "x.raw");
  EXPECT_EQ(content(s, g, g.root, 0, 4096), (std::vector<Extent<std::uint8_t>>{{0, 4096, 0}}));
  qcow2("have.qcow2", 1 * MiB);
  add("have.qcow2", "t", 65536);
  EXPECT_TRUE(convert_image(s, {.source = "top.qcow2", .target = "have.qcow2", .existing = true, .bitmaps = true}));
}

// convert_co_write into an existing target goes through its BlockBackend: its bitmaps mark.
TEST_F(BitmapEffects, ConvertIntoAnExistingTargetMarksItsBitmaps) {
  qcow2("src.qcow2", 1 * MiB);
  write("src.qcow2", 64 * KiB, 4 * KiB, 7);
  qcow2("dst.qcow2", 1 * MiB);
  add("dst.qcow2", "x", 65536);
  ok(convert_image(s, {.source = "src.qcow2", .target = "dst.qcow2", .existing = true, .target_is_zero = true}));
  EXPECT_EQ(dirty("dst.qcow2", "x"), (Ranges{{64 * KiB, 64 * KiB}}));
}

// bdrv_co_do_copy_on_readv writes the copy with bdrv_driver_pwritev: no bitmap is marked,
// although the layer now allocates what it copied.
TEST_F(BitmapEffects, CopyOnReadAllocatesButMarksNothing) {
  chain();
  add("top.qcow2", "t", 4096);
  Graph g = open_image(s, "top.qcow2");
  g.push_filter(Node{NodeKind::CopyOnRead});
  read_copy_on_read(s, g, 0, 256 * KiB);
  EXPECT_EQ(s.image(s.find("top.qcow2")).qcow2().units.at(0).value.type, ClusterType::Normal);
  EXPECT_EQ(dirty("top.qcow2", "t"), Ranges{});
  // A guest write through the same filter does mark.
  ok(apply(s, g, {OpKind::Write, 512 * KiB, 512, 9, false}));
  EXPECT_EQ(dirty("top.qcow2", "t"), (Ranges{{512 * KiB, 4 * KiB}}));
}

// stream_populate reads through copy-on-read: the top's bitmaps stay clean.
TEST_F(BitmapEffects, StreamMarksNothing) {
  chain();
  add("top.qcow2", "t", 4096);
  ok(stream_image(s, {.image = "top.qcow2"}));
  EXPECT_FALSE(s.image(s.find("top.qcow2")).qcow2().backing_file);
  EXPECT_EQ(dirty("top.qcow2", "t"), Ranges{});
}

// commit_run writes into the base with blk_co_pwrite: the base's bitmaps are marked where
// the committed layer allocates; top and overlay keep theirs.
TEST_F(BitmapEffects, BlockCommitMarksTheBase) {
  chain();
  add("base.qcow2", "b", 4096);
  write("top.qcow2", 300 * KiB, 4 * KiB, 5);
  qcow2("over.qcow2", std::nullopt, "top.qcow2");
  add("over.qcow2", "o", 4096);
  ok(block_commit_image(s, {.overlay = "over.qcow2", .top = "top.qcow2"}));
  EXPECT_EQ(dirty("base.qcow2", "b"), (Ranges{{256 * KiB, 64 * KiB}}));
  EXPECT_EQ(dirty("over.qcow2", "o"), Ranges{});
}

// A raw offset window shifts a guest write before it reaches the image (raw_co_pwritev):
// the image's bitmap is marked at the image's own offsets.
TEST_F(BitmapEffects, AWriteThroughARawWindowMarksShiftedOffsets) {
  qcow2("t.qcow2", 1 * MiB);
  add("t.qcow2", "b", 4096);
  Graph g = open_image(s, "t.qcow2");
  Node window{NodeKind::RawWindow};
  window.window_offset = 256 * KiB;
  g.push_filter(window);
  ok(apply(s, g, {OpKind::Write, 4 * KiB, 4 * KiB, 1, false}));
  EXPECT_EQ(dirty("t.qcow2", "b"), (Ranges{{260 * KiB, 4 * KiB}}));
}

// The generator: an exported bitmap the export cannot find after the steps is dropped.
TEST(BitmapGenerator, ExportedBitmapsAreOnlyThoseTheExportFinds) {
  Scenario sc;
  CreateOptions o;
  o.name = "a.qcow2";
  o.size = 1 * MiB;
  sc.steps.push_back(CreateStep{o});
  sc.steps.push_back(BitmapStep{BitmapCommand{"a.qcow2", "b0", {{K::Add, ""}}, {}, {}}});
  sc.steps.push_back(ConvertStep{{.source = "a.qcow2", .target = "out.qcow2"}});
  sc.export_spec = ExportSpec{GraphSpec::of_image("out.qcow2"), true, {"b0"}};
  sc.queries = {Query::BaseAllocation, Query::DirtyBitmaps};
  keep_findable_bitmaps(sc);
  EXPECT_TRUE(sc.export_spec->bitmaps.empty());
  EXPECT_EQ(sc.queries, std::vector<Query>{Query::BaseAllocation});
  std::get<ConvertStep>(sc.steps.back()).options.bitmaps = true;
  sc.export_spec->bitmaps = {"b0"};
  sc.queries.push_back(Query::DirtyBitmaps);
  keep_findable_bitmaps(sc);
  EXPECT_EQ(sc.export_spec->bitmaps, std::vector<std::string>{"b0"});
}

}  // namespace
}  // namespace chaincheck::model::testing

namespace chaincheck::model::testing {
namespace {

// The scenario form: "bitmaps": true on a convert step, and on its command line.
TEST(ConvertBitmapsStep, JsonAndCommandLineCarryBitmaps) {
  ConvertStep st{{.source = "t.qcow2", .target = "o.qcow2", .bitmaps = true}};
  nlohmann::json j = to_json(st);
  EXPECT_EQ(j["bitmaps"], true);
  EXPECT_EQ(convert_step_from_json(j, "steps[0].convert").options, st.options);
  auto w = command_words(st, [](const std::string&) { return ImageFormat::Qcow2; });
  EXPECT_NE(std::find(w.begin(), w.end(), "--bitmaps"), w.end());
  EXPECT_EQ(to_json(ConvertStep{{.source = "t.qcow2", .target = "o.qcow2"}}).count("bitmaps"), 0u);
}

}  // namespace
}  // namespace chaincheck::model::testing

#include "model/scenario/model_system.hpp"

namespace chaincheck::model::testing {
namespace {

bool has_filter(const GraphSpec& g, NodeKind k) {
  if (!g.image && g.filter == k) return true;
  if (g.image && !g.file_filters.empty()) return true;
  return g.child && has_filter(*g.child, k);
}

// The campaign generator now combines bitmaps with chain steps, block jobs and graphs that
// need qemu-storage-daemon, and every bitmap it exports is one the export finds after the
// steps (the model's prediction has no "not found" error).
TEST(BitmapGenerator, CombinesBitmapsWithChainStepsAndFilterGraphsAndExportsOnlyFindableOnes) {
  unsigned with_chain = 0, with_filters = 0, with_convert_bitmaps = 0;
  for (std::uint64_t seed = 1; seed <= 600; ++seed) {
    RandomChooser c(seed);
    Scenario sc = generate_scenario(c);
    if (std::find(sc.queries.begin(), sc.queries.end(), Query::DirtyBitmaps) == sc.queries.end()) continue;
    bool chain = false;
    for (const Step& st : sc.steps) {
      chain |= std::holds_alternative<CommitStep>(st) || std::holds_alternative<RebaseStep>(st) ||
               std::holds_alternative<ConvertStep>(st) || std::holds_alternative<StreamStep>(st) ||
               std::holds_alternative<BlockCommitStep>(st);
      if (auto* v = std::get_if<ConvertStep>(&st)) with_convert_bitmaps += v->options.bitmaps;
    }
    with_chain += chain;
    with_filters += has_filter(sc.export_spec->graph, NodeKind::CopyOnRead) ||
                    has_filter(sc.export_spec->graph, NodeKind::Throttle);
    ModelSystem m;
    Observation o = m.run(sc);
    if (o.nbd) {
      EXPECT_EQ(o.nbd->error.find("is not found"), std::string::npos) << "seed " << seed << ": " << o.nbd->error;
    }
  }
  RecordProperty("with_chain", with_chain);
  RecordProperty("with_filters", with_filters);
  EXPECT_GT(with_chain, 0u) << with_filters << " " << with_convert_bitmaps;
  EXPECT_GT(with_filters, 0u);
  EXPECT_GT(with_convert_bitmaps, 0u);
}

// The generator decides exported bitmaps and session sizes on a replay without guest I/O:
// over generated scenarios it must see the same images, sizes and bitmaps (names, enabled)
// as the full replay at every step.
TEST(BitmapGenerator, AReplayWithoutGuestIoKnowsTheSameImagesSizesAndBitmaps) {
  auto shape = [](const ModelState& st) {
    std::vector<std::string> out;
    for (const Image& img : st.images) {
      std::string line = img.name + " " + std::to_string(img.guest_length());
      if (img.format() == ImageFormat::Qcow2)
        for (const DirtyBitmap& b : img.qcow2().bitmaps)
          line += " " + b.name + (b.enabled ? "+" : "-") + std::to_string(b.granularity);
      out.push_back(line);
    }
    return out;
  };
  unsigned with_io_and_bitmaps = 0;
  for (std::uint64_t seed = 1; seed <= 1500; ++seed) {
    RandomChooser c(seed);
    Scenario sc = generate_scenario(c);
    ModelState full;
    bool io = false, bitmaps = false;
    for (std::size_t i = 0; i < sc.steps.size(); ++i) {
      apply_step(full, sc.steps[i]);
      io |= std::holds_alternative<IoStep>(sc.steps[i]);
      ASSERT_EQ(shape(replay_without_guest_io(sc, i + 1)), shape(full)) << "seed " << seed << " step " << i;
    }
    // Carried on from a midpoint, a replay ends where one from the start does.
    ModelState carried = replay_without_guest_io(sc, sc.steps.size() / 2);
    replay_without_guest_io(sc, sc.steps.size() / 2, sc.steps.size(), carried);
    ASSERT_EQ(shape(carried), shape(full)) << "seed " << seed;
    for (const Image& img : full.images)
      bitmaps |= img.format() == ImageFormat::Qcow2 && !img.qcow2().bitmaps.empty();
    with_io_and_bitmaps += io && bitmaps;
  }
  EXPECT_GT(with_io_and_bitmaps, 20u);
}

// A convert --bitmaps whose source lacks bitmap support never creates its target, so the
// export naming the target could not open: the generator gives --bitmaps only to qcow2 v3
// sources (a CI run of the model properties drew a raw one).
TEST(BitmapGenerator, ConvertBitmapsOnlyFromSourcesThatSupportThem) {
  unsigned with_convert_bitmaps = 0;
  for (std::uint64_t seed = 1; seed <= 3000; ++seed) {
    RandomChooser c(seed);
    Scenario sc = generate_scenario(c);
    ModelState state;
    for (const Step& st : sc.steps) {
      if (auto* v = std::get_if<ConvertStep>(&st); v && v->options.bitmaps) {
        ++with_convert_bitmaps;
        int i = state.find(v->options.source);
        ASSERT_GE(i, 0) << "seed " << seed;
        ASSERT_EQ(state.image(i).format(), ImageFormat::Qcow2) << "seed " << seed;
        EXPECT_TRUE(state.image(i).qcow2().v3) << "seed " << seed;
      }
      apply_step(state, st);
    }
  }
  EXPECT_GT(with_convert_bitmaps, 0u);
}

}  // namespace
}  // namespace chaincheck::model::testing
