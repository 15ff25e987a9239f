// Small helpers so seed transcripts read like the shell lines they come from.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "model/semantics/chain.hpp"
#include "model/semantics/operations.hpp"
#include "model/semantics/projections/nbd_contexts.hpp"
#include "model/semantics/projections/qemu_img_map.hpp"
#include "model/semantics/projections/qemu_io.hpp"

namespace chaincheck::model::testing {

inline constexpr u64 KiB = 1024;
inline constexpr u64 MiB = 1024 * KiB;

class ModelTest : public ::testing::Test {
 protected:
  ModelState s;

  void raw(const std::string& name, u64 size) {
    CreateOptions o;
    o.name = name;
    o.format = ImageFormat::Raw;
    o.size = size;
    ok(create_image(s, o));
  }
  void qcow2(const std::string& name, std::optional<u64> size, std::optional<std::string> backing = {},
             ImageFormat backing_fmt = ImageFormat::Qcow2, unsigned cluster_bits = 16,
             bool extended_l2 = false, Preallocation prealloc = Preallocation::Off, bool v3 = true) {
    CreateOptions o;
    o.name = name;
    o.size = size;
    o.backing_file = backing;
    if (backing) o.backing_format = backing_fmt;
    o.cluster_bits = cluster_bits;
    o.extended_l2 = extended_l2;
    o.preallocation = prealloc;
    o.v3 = v3;
    ok(create_image(s, o));
  }
  // qemu-io -c "write -P pattern off len" IMAGE (opened with its backing chain)
  void write(const std::string& img, u64 off, u64 len, std::uint8_t pattern) {
    ok(apply(s, open_image(s, img), {OpKind::Write, off, len, pattern, false}));
  }
  void write_zeroes(const std::string& img, u64 off, u64 len, bool unmap = false) {
    ok(apply(s, open_image(s, img), {OpKind::WriteZeroes, off, len, 0, unmap}));
  }
  void discard(const std::string& img, u64 off, u64 len) {
    ok(apply(s, open_image(s, img), {OpKind::Discard, off, len, 0, false}));
  }
  void write_compressed(const std::string& img, u64 off, u64 len, std::uint8_t pattern) {
    ok(apply(s, open_image(s, img), {OpKind::WriteCompressed, off, len, pattern, false}));
  }

  // Seed 004's chain: base.raw = ABC-, top.qcow2 over it with cluster 1 written (69) and,
  // unless zero_at is empty, write -z at zero_at.
  void seed004_chain(std::optional<u64> zero_at = 128 * KiB) {
    raw("base.raw", 4 * 64 * KiB);
    qcow2("top.qcow2", std::nullopt, "base.raw", ImageFormat::Raw);
    write("base.raw", 0, 64 * KiB, 65);
    write("base.raw", 64 * KiB, 64 * KiB, 66);
    write("base.raw", 128 * KiB, 64 * KiB, 67);
    write("top.qcow2", 64 * KiB, 64 * KiB, 69);
    if (zero_at) write_zeroes("top.qcow2", *zero_at, 64 * KiB);
  }

  std::vector<NbdExtent> nbd(const Graph& g, NbdContext c, u64 min_block = 1) {
    return nbd_extents(s, g, c, 0, node_length(s, g, g.root), min_block);
  }
  ClusterType type_at(const std::string& img, u64 off) {
    return s.image(s.find(img)).qcow2().units.at(off).value.type;
  }

  static void ok(const std::optional<OpError>& e) {
    if (e) throw std::runtime_error("model refused: " + e->message);
  }
};

inline MapEntry entry(u64 start, u64 length, std::int64_t depth, bool present, bool zero, bool data,
                      std::optional<u64> offset = {}) {
  return {start, length, depth, present, zero, data, offset};
}

// Compare maps on everything but the value of host offsets (the model's are nominal).
inline void expect_map(const std::vector<MapEntry>& actual, const std::vector<MapEntry>& expected) {
  ASSERT_EQ(actual.size(), expected.size()) << map_to_json(actual);
  for (std::size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE("entry " + std::to_string(i) + ": " + map_to_json({actual[i]}));
    EXPECT_EQ(actual[i].start, expected[i].start);
    EXPECT_EQ(actual[i].length, expected[i].length);
    EXPECT_EQ(actual[i].depth, expected[i].depth);
    EXPECT_EQ(actual[i].present, expected[i].present);
    EXPECT_EQ(actual[i].zero, expected[i].zero);
    EXPECT_EQ(actual[i].data, expected[i].data);
    EXPECT_EQ(actual[i].offset.has_value(), expected[i].offset.has_value());
    if (expected[i].offset && *expected[i].offset != UINT64_MAX) {
      EXPECT_EQ(actual[i].offset, expected[i].offset);
    }
  }
}
inline constexpr u64 kAnyOffset = UINT64_MAX;

}  // namespace chaincheck::model::testing
