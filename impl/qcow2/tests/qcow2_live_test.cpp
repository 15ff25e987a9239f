// Live: images written by the installed qemu-img / qemu-io, read back by the inspector.
// Each test checks the states QEMU's qcow2 driver is known to write, and cross-checks
// every byte against `qemu-img map --output=json` (present/zero/data/offset).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "impl/qcow2/qcow2_inspector.hpp"
#include "impl/qcow2/tests/live_tools.hpp"

namespace chaincheck::impl::testing {
namespace {

constexpr std::uint64_t K = 1024;

struct QemuMapEntry {
  std::uint64_t start = 0, length = 0;
  bool present = false, zero = false, data = false;
  std::optional<std::uint64_t> offset;
};

// What qemu-img map reports for each state of an image without a backing file
// (QEMU's qcow2_co_block_status + bdrv_co_block_status: no backing => ZERO).
struct ExpectedFlags {
  bool present, zero, data, has_offset;
};
ExpectedFlags expected_flags(ClusterState s) {
  switch (s) {
    case ClusterState::Normal: return {true, false, true, true};
    case ClusterState::Compressed: return {true, false, true, false};
    case ClusterState::ZeroAlloc: return {true, true, false, true};
    case ClusterState::ZeroPlain: return {true, true, false, false};
    case ClusterState::UnallocatedAlloc: return {false, true, false, true};
    case ClusterState::Unallocated: return {false, true, false, false};
  }
  return {};
}

class Qcow2Live : public ::testing::Test {
 protected:
  std::string image(const std::string& name) const { return (scratch_.path() / name).string(); }

  void run(const std::vector<std::string>& argv) {
    const ToolResult r = run_tool(argv, scratch_.path());
    ASSERT_EQ(r.exit_code, 0) << join_args(argv) << "\n" << r.out << r.err;
  }

  std::string create(const std::string& name, const std::string& size, const std::string& options) {
    const std::string file = image(name);
    std::vector<std::string> argv{"qemu-img", "create", "-q", "-f", "qcow2"};
    if (!options.empty()) argv.insert(argv.end(), {"-o", options});
    argv.insert(argv.end(), {file, size});
    run(argv);
    return file;
  }

  void io(const std::string& file, const std::vector<std::string>& commands) {
    std::vector<std::string> argv{"qemu-io", "-f", "qcow2"};
    for (const auto& c : commands) argv.insert(argv.end(), {"-c", c});
    argv.push_back(file);
    run(argv);
  }

  std::vector<QemuMapEntry> qemu_img_map(const std::string& file) {
    const std::vector<std::string> argv{"qemu-img", "map", "-f", "qcow2", "--output=json", file};
    const ToolResult r = run_tool(argv, scratch_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<QemuMapEntry> entries;
    for (const auto& j : nlohmann::json::parse(r.out)) {
      QemuMapEntry e{j.at("start"), j.at("length"), j.at("present"), j.at("zero"), j.at("data"), {}};
      if (j.contains("offset")) e.offset = j.at("offset").get<std::uint64_t>();
      entries.push_back(e);
    }
    return entries;
  }

  // Every overlap of an inspector extent and a qemu-img map entry must agree on the
  // flags, and on the host offset of the overlap's first byte.
  void expect_agrees_with_qemu_img_map(const std::string& file) {
    const auto img = Qcow2Inspector::open_file(file);
    const auto ours = img.map();
    const auto theirs = qemu_img_map(file);
    ASSERT_FALSE(theirs.empty());
    EXPECT_EQ(theirs.back().start + theirs.back().length, img.virtual_size());
    std::size_t j = 0;
    for (const auto& e : ours) {
      while (j < theirs.size() && theirs[j].start + theirs[j].length <= e.guest_offset) ++j;
      for (std::size_t k = j; k < theirs.size() && theirs[k].start < e.end(); ++k) {
        const auto& q = theirs[k];
        const std::uint64_t from = std::max(q.start, e.guest_offset);
        const auto want = expected_flags(e.state);
        const std::string where = to_string(e) + " vs qemu-img map entry at " + hex(q.start) + "+" + hex(q.length);
        EXPECT_EQ(q.present, want.present) << where;
        EXPECT_EQ(q.data, want.data) << where;
        if (!want.data) {  // data may also read as zero (a hole in the host file)
          EXPECT_EQ(q.zero, want.zero) << where;
        }
        ASSERT_EQ(q.offset.has_value(), want.has_offset) << where;
        if (q.offset) {
          EXPECT_EQ(*q.offset + (from - q.start), *e.host_offset + (from - e.guest_offset)) << where;
        }
      }
    }
  }

  ScratchDir scratch_;
};

TEST_F(Qcow2Live, FreshImageIsUnallocated) {
  const auto file = create("fresh.qcow2", "1M", "");
  const auto img = Qcow2Inspector::open_file(file);
  EXPECT_EQ(img.version(), 3u);
  EXPECT_EQ(img.cluster_size(), 64 * K);
  EXPECT_EQ(img.map(), (std::vector{GuestExtent{0, 1 << 20, ClusterState::Unallocated, {}, {}}}));
  EXPECT_TRUE(img.check().empty());
  EXPECT_EQ(img.refcount(0), 1u);
  expect_agrees_with_qemu_img_map(file);
}

TEST_F(Qcow2Live, ZeroWriteKeepsTheHostCluster) {
  const auto file = create("zero.qcow2", "1M", "");
  io(file, {"write -P 0xaa 0 128k"});
  const GuestExtent written = Qcow2Inspector::open_file(file).cluster_state(64 * K);
  ASSERT_EQ(written.state, ClusterState::Normal);
  io(file, {"write -z 64k 64k"});
  const auto img = Qcow2Inspector::open_file(file);
  EXPECT_EQ(img.cluster_state(0).state, ClusterState::Normal);
  const GuestExtent zeroed = img.cluster_state(64 * K);
  EXPECT_EQ(zeroed.state, ClusterState::ZeroAlloc);
  EXPECT_EQ(zeroed.host_offset, written.host_offset);
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  expect_agrees_with_qemu_img_map(file);
}

TEST_F(Qcow2Live, ZeroWriteWithUnmapFreesTheHostCluster) {
  const auto file = create("unmap.qcow2", "1M", "");
  io(file, {"write -P 0xaa 0 128k"});
  const auto host = Qcow2Inspector::open_file(file).cluster_state(64 * K).host_offset;
  ASSERT_TRUE(host);
  io(file, {"write -z -u 64k 64k"});
  const auto img = Qcow2Inspector::open_file(file);
  EXPECT_EQ(img.cluster_state(64 * K), (GuestExtent{64 * K, 64 * K, ClusterState::ZeroPlain, {}, {}}));
  EXPECT_EQ(img.refcount(*host / img.cluster_size()), 0u);
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  expect_agrees_with_qemu_img_map(file);
}

TEST_F(Qcow2Live, DiscardReadsAsZeroInV3AndUnallocatesInV2) {
  // qcow2_cluster_discard (guest request): an allocated cluster becomes a zero-flag
  // entry where the format has one (v3), and a plain hole in v2.
  for (const std::string compat : {"1.1", "0.10"}) {
    SCOPED_TRACE("compat=" + compat);
    const auto file = create("discard-" + compat + ".qcow2", "1M", "compat=" + compat);
    io(file, {"write -P 0x5a 0 192k", "discard 64k 64k"});
    const auto img = Qcow2Inspector::open_file(file);
    EXPECT_EQ(img.cluster_state(64 * K).state, compat == "1.1" ? ClusterState::ZeroPlain : ClusterState::Unallocated);
    EXPECT_EQ(img.cluster_state(128 * K).state, ClusterState::Normal);
    EXPECT_TRUE(img.check().empty()) << img.check()[0];
    expect_agrees_with_qemu_img_map(file);
  }
}

TEST_F(Qcow2Live, ExtendedL2PartialWritesAllocateSubclusters) {
  const auto file = create("ext.qcow2", "1M", "extended_l2=on,cluster_size=64k");
  io(file, {"write -P 0x11 0 4k", "write -z 8k 2k", "write -z 128k 2k", "write -P 0x22 196k 2k"});
  const auto img = Qcow2Inspector::open_file(file);
  ASSERT_TRUE(img.extended_l2());
  ASSERT_EQ(img.subcluster_size(), 2 * K);
  const auto first = img.cluster_state(0);
  ASSERT_EQ(first.state, ClusterState::Normal);
  ASSERT_TRUE(first.host_offset);
  const std::uint64_t host = *first.host_offset;
  EXPECT_EQ(img.map(0, 64 * K),
            (std::vector<GuestExtent>{{0, 4 * K, ClusterState::Normal, host, {}},
                                      {4 * K, 4 * K, ClusterState::UnallocatedAlloc, host + 4 * K, {}},
                                      {8 * K, 2 * K, ClusterState::ZeroAlloc, host + 8 * K, {}},
                                      {10 * K, 54 * K, ClusterState::UnallocatedAlloc, host + 10 * K, {}}}))
      << to_string(img.map(0, 64 * K).at(0));
  // Zeroing a subcluster of a cluster without a host cluster allocates nothing.
  EXPECT_EQ(img.cluster_state(128 * K), (GuestExtent{128 * K, 2 * K, ClusterState::ZeroPlain, {}, {}}));
  EXPECT_EQ(img.cluster_state(130 * K).state, ClusterState::Unallocated);
  EXPECT_EQ(img.cluster_state(196 * K).state, ClusterState::Normal);
  EXPECT_EQ(img.cluster_state(194 * K).state, ClusterState::UnallocatedAlloc);
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  expect_agrees_with_qemu_img_map(file);
}

TEST_F(Qcow2Live, PreallocationMetadataIsNormalEverywhere) {
  const auto file = create("prealloc.qcow2", "3M", "preallocation=metadata,cluster_size=4k");
  const auto img = Qcow2Inspector::open_file(file);
  const auto map = img.map();
  ASSERT_FALSE(map.empty());
  for (const auto& e : map) EXPECT_EQ(e.state, ClusterState::Normal) << to_string(e);
  EXPECT_LT(map.size(), 8u);  // contiguous host clusters merge
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  expect_agrees_with_qemu_img_map(file);
}

TEST_F(Qcow2Live, Compat010ZeroWritesDiscardOrWriteData) {
  const auto file = create("v2.qcow2", "1M", "compat=0.10,cluster_size=512");
  io(file, {"write -P 0xcc 0 8k", "write -z 2k 1k", "write -z 64k 4k"});
  const auto img = Qcow2Inspector::open_file(file);
  EXPECT_EQ(img.version(), 2u);
  for (const auto& e : img.map()) {
    EXPECT_NE(e.state, ClusterState::ZeroPlain) << to_string(e);
    EXPECT_NE(e.state, ClusterState::ZeroAlloc) << to_string(e);
  }
  // Without a zero flag and without a backing file, QEMU turns a zero write into a
  // discard (qcow2_subcluster_zeroize): the clusters become unallocated holes.
  EXPECT_EQ(img.cluster_state(2 * K).state, ClusterState::Unallocated);
  EXPECT_EQ(img.cluster_state(64 * K).state, ClusterState::Unallocated);
  EXPECT_EQ(img.cluster_state(1 * K).state, ClusterState::Normal);
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  expect_agrees_with_qemu_img_map(file);

  // With a backing file a hole would show the backing data: the zeroes are written as data.
  const auto overlay = image("v2-overlay.qcow2");
  run({"qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=0.10,cluster_size=512", "-b", file, "-F", "qcow2",
       overlay});
  io(overlay, {"write -z 0 1k"});
  const auto top = Qcow2Inspector::open_file(overlay);
  EXPECT_EQ(top.map(0, 1 * K), (std::vector<GuestExtent>{{0, 1 * K, ClusterState::Normal,
                                                          top.cluster_state(0).host_offset, {}}}));
  EXPECT_TRUE(top.check().empty()) << top.check()[0];
}

TEST_F(Qcow2Live, CompressedWriteHasADescriptor) {
  const auto file = create("compressed.qcow2", "1M", "");
  io(file, {"write -c -P 0x33 0 64k", "write -c 128k 64k"});
  const auto img = Qcow2Inspector::open_file(file);
  for (const std::uint64_t at : {0 * K, 128 * K}) {
    const auto e = img.cluster_state(at);
    EXPECT_EQ(e.state, ClusterState::Compressed);
    ASSERT_TRUE(e.compressed);
    EXPECT_LT(e.compressed->host_offset, img.file_size());
    EXPECT_GT(e.compressed->size, 0u);
    EXPECT_LT(e.compressed->size, 64 * K);  // a repeated byte compresses well
  }
  EXPECT_EQ(img.cluster_state(64 * K).state, ClusterState::Unallocated);
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  expect_agrees_with_qemu_img_map(file);
}

TEST_F(Qcow2Live, BackingFileNameAndFormat) {
  const auto base = create("base.qcow2", "1M", "");
  std::vector<std::string> argv{"qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2",
                                image("overlay.qcow2")};
  run(argv);
  const auto img = Qcow2Inspector::open_file(image("overlay.qcow2"));
  ASSERT_TRUE(img.backing_file());
  EXPECT_EQ(*img.backing_file(), base);
  ASSERT_TRUE(img.backing_format());
  EXPECT_EQ(*img.backing_format(), "qcow2");
  EXPECT_EQ(img.virtual_size(), 1u << 20);
}

TEST_F(Qcow2Live, RefcountWidthsOneAndSixtyFourBits) {
  for (const std::string bits : {"1", "64"}) {
    SCOPED_TRACE("refcount_bits=" + bits);
    const auto file = create("rc" + bits + ".qcow2", "1M", "refcount_bits=" + bits);
    io(file, {"write -P 1 0 64k"});
    const auto img = Qcow2Inspector::open_file(file);
    EXPECT_EQ(img.refcount_order(), bits == "1" ? 0u : 6u);
    EXPECT_EQ(img.refcount(*img.cluster_state(0).host_offset / img.cluster_size()), 1u);
    EXPECT_EQ(img.refcount(img.l1_table_offset() / img.cluster_size()), 1u);
    EXPECT_TRUE(img.check().empty()) << img.check()[0];
  }
}

TEST_F(Qcow2Live, MultiTerabyteSparseImageReadsLazily) {
  const auto file = create("huge.qcow2", "4T", "");
  io(file, {"write -P 7 0 64k", "write -P 8 4398046445568 64k"});  // the last cluster
  const auto img = Qcow2Inspector::open_file(file);
  EXPECT_LT(img.file_size(), 2u << 20);
  const auto map = img.map();
  ASSERT_EQ(map.size(), 3u);
  EXPECT_EQ(map[0].state, ClusterState::Normal);
  EXPECT_EQ(map[1].state, ClusterState::Unallocated);
  EXPECT_EQ(map[2].state, ClusterState::Normal);
  EXPECT_EQ(map[2].end(), std::uint64_t{4} << 40);
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  expect_agrees_with_qemu_img_map(file);
}

TEST_F(Qcow2Live, SmallClustersManyStates) {
  const auto file = create("small.qcow2", "256k", "cluster_size=512");
  io(file, {"write -P 1 0 4k", "write -z 1k 512", "write -z -u 2k 512", "discard 3k 512", "write -c 8k 512",
            "write -P 2 100k 1536", "write -z 200k 1k"});
  const auto img = Qcow2Inspector::open_file(file);
  EXPECT_EQ(img.cluster_state(1 * K).state, ClusterState::ZeroAlloc);
  EXPECT_EQ(img.cluster_state(2 * K).state, ClusterState::ZeroPlain);
  EXPECT_EQ(img.cluster_state(3 * K).state, ClusterState::ZeroPlain);
  EXPECT_EQ(img.cluster_state(8 * K).state, ClusterState::Compressed);
  EXPECT_EQ(img.cluster_state(200 * K).state, ClusterState::ZeroPlain);
  EXPECT_TRUE(img.check().empty()) << img.check()[0];
  expect_agrees_with_qemu_img_map(file);
}

}  // namespace
}  // namespace chaincheck::impl::testing
