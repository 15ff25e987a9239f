// Dirty bitmaps on the real stack against the model: runtime bitmaps on
// qemu-storage-daemon (QMP + NBD writes, several bitmaps exported at once), and scenarios
// with qemu-img bitmap steps exported by qemu-nbd -B.
#include <gtest/gtest.h>

#include <random>

#include "impl/scenario/qemu_system.hpp"
#include "impl/scenario/qsd_bitmaps.hpp"
#include "model/semantics/bitmaps.hpp"
#include "model/semantics/chain.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"
#include "oracle/campaign.hpp"
#include "oracle/registry.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;
using K = BitmapAction::Kind;

constexpr u64 KiB = 1024;

// The QSD session and the model, driven in step.
class BothSides {
 public:
  BothSides(u64 size, unsigned cluster_bits) : qsd_(size, u64{1} << cluster_bits) {
    CreateOptions o;
    o.name = "disk.qcow2";
    o.size = size;
    o.cluster_bits = cluster_bits;
    EXPECT_FALSE(create_image(m_, o));
  }
  void add(const std::string& n, std::optional<std::uint32_t> g, bool disabled = false) {
    qsd_.add(n, g, disabled);
    std::vector<BitmapAction> acts = {{K::Add, ""}};
    if (disabled) acts.push_back({K::Disable, ""});
    bitmap(n, acts, g ? std::optional<u64>(*g) : std::nullopt);
    names_.push_back(n);
  }
  void action(const std::string& n, K k, const std::string& source = "") {
    switch (k) {
      case K::Clear: qsd_.clear(n); break;
      case K::Enable: qsd_.enable(n); break;
      case K::Disable: qsd_.disable(n); break;
      case K::Merge: qsd_.merge(n, {source}); break;
      default: FAIL() << "not an action on an existing bitmap";
    }
    bitmap(n, {{k, source}}, std::nullopt);
  }
  void op(OpKind kind, u64 off, u64 len, bool may_unmap = false) {
    if (kind == OpKind::Write) qsd_.write(off, len, 0x5a);
    if (kind == OpKind::WriteZeroes) qsd_.zero(off, len, may_unmap);
    if (kind == OpKind::Discard) qsd_.trim(off, len);
    EXPECT_FALSE(apply(m_, open_image(m_, "disk.qcow2"), {kind, off, len, 0x5a, may_unmap}, OpenOptions{true}));
  }
  // Every bitmap, read in one export, equals the model's.
  void expect_agreement(const std::string& where) {
    NbdObservation nbd = qsd_.read_bitmaps(names_);
    Graph g = open_image(m_, "disk.qcow2");
    ASSERT_EQ(nbd.contexts.size(), names_.size()) << where;
    for (const auto& n : names_) {
      const DirtyBitmap* b = find_export_bitmap(m_, g, n);
      ASSERT_NE(b, nullptr);
      EXPECT_EQ(context_extents(nbd, dirty_bitmap_context(n)), dirty_bitmap_extents(*b, 0, nbd.export_size))
          << where << ": bitmap " << n << " (granularity " << b->granularity << ")";
    }
  }

 private:
  void bitmap(const std::string& n, std::vector<BitmapAction> acts, std::optional<u64> g) {
    EXPECT_FALSE(apply_bitmap_command(m_, BitmapCommand{"disk.qcow2", n, std::move(acts), g, {}}));
  }
  QsdBitmapSession qsd_;
  ModelState m_;
  std::vector<std::string> names_;
};

TEST(QsdBitmaps, RuntimeBitmapsMarkEnableClearAndMergeLikeTheModel) {
  BothSides t(1 * 1024 * KiB, 16);
  t.add("fine", 512);
  t.add("coarse", 128 * KiB, true);
  t.add("default", std::nullopt);
  t.op(OpKind::Write, 1000, 3000);
  t.op(OpKind::WriteZeroes, 200 * KiB, 1 * KiB, true);
  t.op(OpKind::Discard, 512 * KiB, 64 * KiB);
  t.expect_agreement("after the first writes");
  t.action("coarse", K::Enable);
  t.action("default", K::Clear);
  t.op(OpKind::Write, 900 * KiB, 1);
  t.action("coarse", K::Merge, "fine");
  t.action("fine", K::Disable);
  t.op(OpKind::WriteZeroes, 700 * KiB, 5 * KiB, false);
  t.expect_agreement("after enable, clear, merge, disable");
}

TEST(QsdBitmaps, RandomSequencesAgreeWithTheModel) {
  std::mt19937_64 rng(20261123);
  auto pick = [&](u64 lo, u64 hi) { return std::uniform_int_distribution<u64>(lo, hi)(rng); };
  for (int round = 0; round < 3; ++round) {
    const u64 size = (pick(1, 16)) * 64 * KiB;
    BothSides t(size, static_cast<unsigned>(pick(0, 1) ? 16 : 12));
    unsigned count = static_cast<unsigned>(pick(1, 4));
    for (unsigned i = 0; i < count; ++i) {
      std::optional<std::uint32_t> g;
      if (pick(0, 1)) g = std::uint32_t{512} << pick(0, 8);
      t.add("b" + std::to_string(i), g, pick(0, 3) == 0);
    }
    for (int k = 0; k < 10; ++k) {
      std::string b = "b" + std::to_string(pick(0, count - 1));
      switch (pick(0, 6)) {
        case 0: t.action(b, K::Enable); break;
        case 1: t.action(b, K::Disable); break;
        case 2: t.action(b, K::Clear); break;
        case 3: t.action(b, K::Merge, "b" + std::to_string(pick(0, count - 1))); break;
        default: {
          u64 off = pick(0, size - 1), len = pick(1, std::min<u64>(size - off, 200 * KiB));
          auto kind = static_cast<OpKind>(pick(0, 2));  // write, write-zeroes, discard
          t.op(kind, off, len, pick(0, 1) == 1);
        }
      }
    }
    t.expect_agreement("round " + std::to_string(round));
  }
}

Scenario bitmap_scenario(GraphSpec exported) {
  Scenario s;
  CreateOptions base{.name = "base.qcow2", .format = ImageFormat::Qcow2, .size = 1024 * KiB};
  CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "base.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  top.cluster_bits = 12;
  auto io = [](const char* img, OpKind k, u64 off, u64 len) {
    return IoStep{GraphSpec::of_image(img), {k, off, len, 7, true}};
  };
  s.steps = {CreateStep{base},
             BitmapStep{{"base.qcow2", "old", {{K::Add, ""}}, {}, {}}},
             io("base.qcow2", OpKind::Write, 0, 64 * KiB),
             CreateStep{top},
             BitmapStep{{"top.qcow2", "a", {{K::Add, ""}}, 512, {}}},
             BitmapStep{{"top.qcow2", "b", {{K::Add, ""}, {K::Disable, ""}}, 128 * KiB, {}}},
             io("top.qcow2", OpKind::Write, 1000, 3000),
             io("top.qcow2", OpKind::WriteZeroes, 200 * KiB, 1 * KiB),
             io("top.qcow2", OpKind::Discard, 300 * KiB, 4 * KiB),
             BitmapStep{{"top.qcow2", "b", {{K::Merge, "a"}, {K::Enable, ""}}, {}, {}}},
             io("top.qcow2", OpKind::WriteCompressed, 512 * KiB, 4 * KiB),
             // Refused (no such bitmap) by both: the step errors agree.
             BitmapStep{{"top.qcow2", "missing", {{K::Clear, ""}}, {}, {}}}};
  s.export_spec = ExportSpec{std::move(exported), true, {"a", "b", "old"}};
  s.queries = {Query::BaseAllocation, Query::AllocationDepth, Query::DirtyBitmaps, Query::Content};
  return s;
}

TEST(QemuSystemBitmaps, QemuImgBitmapStepsAndSeveralExportedBitmapsAgreeWithTheModel) {
  QemuSystem q;
  Scenario s = bitmap_scenario(GraphSpec::of_image("top.qcow2"));
  s.host = *q.host();
  oracle::ScenarioResult r = oracle::judge_scenario(s, q);
  ASSERT_TRUE(r.observed.error.empty()) << r.observed.error;
  EXPECT_TRUE(r.verdict.clean()) << oracle::describe(r.verdict.findings.at(0));
  ASSERT_TRUE(r.observed.nbd);
  EXPECT_FALSE(r.observed.step_errors.back().empty());
  // The backing layer's bitmap is found through the chain, and only it saw the base write.
  EXPECT_EQ(context_extents(*r.observed.nbd, "qemu:dirty-bitmap:old"),
            (std::vector<NbdExtent>{{0, 64 * KiB, kNbdDirty}, {64 * KiB, 960 * KiB, 0}}));
  EXPECT_EQ(context_extents(*r.observed.nbd, "qemu:dirty-bitmap:b").front(), (NbdExtent{0, 384 * KiB, kNbdDirty}));
}

TEST(QemuSystemBitmaps, FineBitmapsUnderALargerMinimumBlockBreakTheNbdSpec) {
  QemuSystem q;
  GraphSpec dbg;
  dbg.filter = NodeKind::Blkdebug;
  dbg.align = 4096;
  dbg.child = std::make_shared<GraphSpec>(GraphSpec::of_image("top.qcow2"));
  Scenario s = bitmap_scenario(dbg);
  s.host = *q.host();
  oracle::ScenarioResult r = oracle::judge_scenario(s, q);
  ASSERT_TRUE(r.observed.error.empty()) << r.observed.error;
  bool bitmap_spec = false;
  for (const auto& f : r.verdict.findings) {
    if (f.interfaces.at(0) != "qemu:dirty-bitmap:a") continue;
    EXPECT_EQ(f.cls, oracle::FindingClass::NbdSpec) << oracle::describe(f);
    bitmap_spec |= f.rule == "extent-not-multiple-of-min-block";
  }
  EXPECT_TRUE(bitmap_spec) << "512-byte granules under a 4096-byte minimum block";
}

}  // namespace
}  // namespace chaincheck::impl
