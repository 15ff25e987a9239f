// RapidCheck properties of dirty bitmaps: marking against a per-granule reference, merge,
// and the client-side merger of base:allocation + allocation depth + N bitmaps.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "model/semantics/bitmaps.hpp"
#include "model/semantics/chain.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"
#include "model/semantics/projections/nbd_contexts.hpp"

namespace chaincheck::model::testing {
namespace {

constexpr u64 KiB = 1024;

// A qcow2 image (maybe over a backing) with 1..4 bitmaps of random granularity, and a list
// of guest operations interleaved with enable/disable of random bitmaps. `reference` holds
// every bitmap's dirty granules as one bool per granule, computed naively.
struct BitmapWorld {
  ModelState state;
  Graph graph;
  u64 length = 0;
  std::vector<std::string> names;
  std::vector<std::vector<bool>> reference;
};

BitmapWorld generate_world() {
  BitmapWorld w;
  const u64 size = *rc::gen::element<u64>(64 * KiB, 256 * KiB, 1000 * KiB, 1024 * KiB);
  const unsigned cluster_bits = *rc::gen::element(9u, 12u, 16u);
  CreateOptions base;
  base.name = "base.qcow2";
  base.size = size;
  RC_ASSERT(!create_image(w.state, base));
  CreateOptions top;
  top.name = "top.qcow2";
  top.cluster_bits = cluster_bits;
  top.backing_file = "base.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  RC_ASSERT(!create_image(w.state, top));
  const unsigned count = *rc::gen::inRange(1u, 5u);
  std::vector<u64> grans;
  for (unsigned i = 0; i < count; ++i) {
    std::string name = "b" + std::to_string(i);
    std::optional<u64> g;
    if (*rc::gen::arbitrary<bool>()) g = u64{512} << *rc::gen::inRange(0, 9);
    RC_ASSERT(!apply_bitmap_command(w.state, {"top.qcow2", name, {{BitmapAction::Kind::Add, ""}}, g, {}}));
    grans.push_back(g.value_or(std::min<u64>(65536, std::max<u64>(4096, u64{1} << cluster_bits))));
    w.names.push_back(name);
  }
  std::vector<bool> enabled(count, true);
  w.reference.resize(count);
  for (unsigned i = 0; i < count; ++i) w.reference[i].assign((size + grans[i] - 1) / grans[i], false);
  w.graph = open_image(w.state, "top.qcow2");
  w.length = size;
  const int steps = *rc::gen::inRange(0, 12);
  for (int k = 0; k < steps; ++k) {
    if (*rc::gen::inRange(0, 4) == 0) {
      unsigned i = *rc::gen::inRange(0u, count);
      enabled[i] = !enabled[i];
      auto kind = enabled[i] ? BitmapAction::Kind::Enable : BitmapAction::Kind::Disable;
      RC_ASSERT(!apply_bitmap_command(w.state, {"top.qcow2", w.names[i], {{kind, ""}}, {}, {}}));
      continue;
    }
    GuestOp op;
    op.kind = *rc::gen::element(OpKind::Write, OpKind::WriteZeroes, OpKind::Discard);
    op.offset = *rc::gen::inRange<u64>(0, size);
    op.length = *rc::gen::inRange<u64>(1, std::min<u64>(size - op.offset, 200 * KiB) + 1);
    op.pattern = 7;
    op.may_unmap = *rc::gen::arbitrary<bool>();
    RC_ASSERT(!apply(w.state, w.graph, op));
    for (unsigned i = 0; i < count; ++i)
      if (enabled[i])
        for (u64 gi = op.offset / grans[i]; gi <= (op.offset + op.length - 1) / grans[i]; ++gi) w.reference[i][gi] = true;
  }
  return w;
}

const DirtyBitmap& bitmap(const BitmapWorld& w, std::size_t i) {
  return *find_export_bitmap(w.state, w.graph, w.names[i]);
}

// The value of a context's extent list at one offset.
std::uint32_t value_at(const std::vector<NbdExtent>& ex, u64 off) {
  for (const NbdExtent& e : ex)
    if (e.start <= off && off < e.end()) return e.value;
  RC_FAIL("offset not covered");
}

RC_GTEST_PROP(BitmapProperties, GuestOperationsMarkExactlyTheGranulesTheyTouch, ()) {
  BitmapWorld w = generate_world();
  for (std::size_t i = 0; i < w.names.size(); ++i) {
    const DirtyBitmap& b = bitmap(w, i);
    for (const NbdExtent& e : dirty_bitmap_extents(b, 0, w.length)) {
      // Each extent's granules all carry its value in the reference.
      for (u64 gi = e.start / b.granularity; gi * b.granularity < e.end(); ++gi)
        RC_ASSERT(w.reference[i][gi] == (e.value == kNbdDirty));
      // Dirty extents start on a granule boundary and end on one or at the image end.
      if (e.value) {
        RC_ASSERT(e.start % b.granularity == 0u);
        RC_ASSERT(e.end() % b.granularity == 0u || e.end() == w.length);
      }
    }
  }
}

RC_GTEST_PROP(BitmapProperties, MergeIsTheUnionAtTheTargetsGranularity, ()) {
  BitmapWorld w = generate_world();
  std::size_t dst = *rc::gen::inRange<std::size_t>(0, w.names.size());
  std::size_t src = *rc::gen::inRange<std::size_t>(0, w.names.size());
  DirtyBitmap before = bitmap(w, dst);
  DirtyBitmap source = bitmap(w, src);
  RC_ASSERT(!apply_bitmap_command(w.state, {"top.qcow2", w.names[dst], {{BitmapAction::Kind::Merge, w.names[src]}}, {}, {}}));
  const DirtyBitmap& after = bitmap(w, dst);
  u64 g = after.granularity;
  for (u64 gs = 0; gs < w.length; gs += g) {
    u64 ge = std::min(gs + g, w.length);
    bool src_dirty = false, was = false;
    source.dirty.for_each(gs, ge - gs, [&](const Extent<bool>& e) { src_dirty |= e.value; });
    before.dirty.for_each(gs, ge - gs, [&](const Extent<bool>& e) { was |= e.value; });
    auto now = after.dirty.extents(gs, ge - gs);
    RC_ASSERT(now.size() == 1u);
    RC_ASSERT(now[0].value == (src_dirty || was));
  }
}

RC_GTEST_PROP(BitmapProperties, MergedContextsSplitBackAndCarryEachContextsValue, ()) {
  BitmapWorld w = generate_world();
  u64 min_block = *rc::gen::element<u64>(1, 512, 4096);
  std::vector<std::vector<NbdExtent>> contexts = {
      nbd_extents(w.state, w.graph, NbdContext::BaseAllocation, 0, w.length, min_block),
      nbd_extents(w.state, w.graph, NbdContext::AllocationDepth, 0, w.length, min_block)};
  for (std::size_t i = 0; i < w.names.size(); ++i)
    contexts.push_back(dirty_bitmap_extents(bitmap(w, i), 0, w.length, min_block));
  auto merged = merge_contexts(contexts);
  RC_TAG(contexts.size());
  for (std::size_t c = 0; c < contexts.size(); ++c) RC_ASSERT(split_context(merged, c) == contexts[c]);
  u64 pos = 0;
  for (const MergedExtent& m : merged) {
    RC_ASSERT(m.start == pos);
    RC_ASSERT(m.length > 0u);
    for (std::size_t c = 0; c < contexts.size(); ++c) {
      RC_ASSERT(m.values[c] == value_at(contexts[c], m.start));
      RC_ASSERT(m.values[c] == value_at(contexts[c], m.start + m.length - 1));
    }
    pos += m.length;
  }
  RC_ASSERT(pos == w.length);
}

}  // namespace
}  // namespace chaincheck::model::testing

namespace chaincheck::model::testing {
namespace {

RC_GTEST_PROP(BitmapProperties, TheJointViewWithBitmapsCarriesEveryContextsBits, ()) {
  BitmapWorld w = generate_world();
  auto base = nbd_extents(w.state, w.graph, NbdContext::BaseAllocation, 0, w.length);
  auto depth = nbd_extents(w.state, w.graph, NbdContext::AllocationDepth, 0, w.length);
  std::vector<std::vector<NbdExtent>> maps;
  for (std::size_t i = 0; i < w.names.size(); ++i) maps.push_back(dirty_bitmap_extents(bitmap(w, i), 0, w.length));
  auto joint = joint_with_bitmaps(base, depth, maps);
  auto plain = nbd_extents(w.state, w.graph, NbdContext::JointAllocation, 0, w.length);
  u64 pos = 0;
  for (const NbdExtent& e : joint) {
    RC_ASSERT(e.start == pos);
    for (u64 off : {e.start, e.end() - 1}) {
      RC_ASSERT((e.value & 0xfu) == value_at(plain, off));
      for (std::size_t i = 0; i < maps.size(); ++i)
        RC_ASSERT(((e.value >> (4 + i)) & 1u) == value_at(maps[i], off));
    }
    pos = e.end();
  }
  RC_ASSERT(pos == w.length);
}

TEST(JointWithBitmaps, MoreBitmapsThanFlagBitsAreRefused) {
  std::vector<NbdExtent> one = {{0, 512, 0}};
  std::vector<std::vector<NbdExtent>> maps(kMaxJointBitmaps + 1, one);
  EXPECT_THROW(joint_with_bitmaps(one, {{0, 512, 1}}, maps), std::invalid_argument);
  maps.pop_back();
  maps.back() = {{0, 512, kNbdDirty}};
  EXPECT_EQ(joint_with_bitmaps(one, {{0, 512, 1}}, maps),
            (std::vector<NbdExtent>{{0, 512, kJointLocal | (std::uint32_t{1} << 31)}}));
}

}  // namespace
}  // namespace chaincheck::model::testing
