// Hostile and truncated images: each refused with one Qcow2FormatError that names the
// field and where; never a crash or an out-of-bounds read (run under ASan to be sure).
#include <random>

#include "impl/qcow2/tests/qcow2_test_support.hpp"

namespace chaincheck::impl::testing {
namespace {

using namespace qcow2_field;

std::string open_error(const Qcow2ImageBuilder& b) {
  return format_error_of([&] { inspect(b); });
}

// Exercises everything the inspector offers; only Qcow2FormatError may escape.
void exercise(std::span<const std::uint8_t> bytes) {
  try {
    Qcow2Inspector img(bytes);
    img.map();
    img.check();
    if (img.virtual_size() > 0) img.cluster_state(img.virtual_size() - 1);
    img.refcount(0);
  } catch (const Qcow2FormatError&) {
  }
}

TEST(Qcow2Hostile, ShortFileAndBadMagicAndVersion) {
  const std::vector<std::uint8_t> tiny(40, 0);
  EXPECT_EQ(format_error_of([&] { Qcow2Inspector{tiny}; }),
            "file is 40 bytes, too short for a qcow2 header (72)");
  Qcow2ImageBuilder b;
  b.put_u8(magic + 3, 0xfc);
  EXPECT_EQ(open_error(b), "bad magic 0x514649fc (expected 0x514649fb, \"QFI\\xfb\")");
  Qcow2ImageBuilder v;
  v.put_be32(version, 4);
  EXPECT_EQ(open_error(v), "unsupported qcow2 version 4 (expected 2 or 3)");
}

TEST(Qcow2Hostile, ClusterBitsOutOfRange) {
  for (std::uint32_t bits : {0u, 8u, 22u, 40u, 0xffffffffu}) {
    Qcow2ImageBuilder b;
    b.put_be32(cluster_bits, bits);
    EXPECT_EQ(open_error(b), "cluster_bits " + std::to_string(bits) + " out of range 9..21");
  }
}

TEST(Qcow2Hostile, HeaderLengthBounds) {
  Qcow2ImageBuilder b({.cluster_bits = 9});
  b.put_be32(header_length, 72);
  EXPECT_EQ(open_error(b), "header_length 72 is shorter than the 104-byte v3 header");
  b.put_be32(header_length, 0xfffffff8);
  EXPECT_EQ(open_error(b), "header_length 4294967288 exceeds the cluster size 512");
}

TEST(Qcow2Hostile, RefcountOrderCryptAndExtendedL2ClusterSize) {
  Qcow2ImageBuilder r;
  r.put_be32(refcount_order, 7);
  EXPECT_EQ(open_error(r), "refcount_order 7 out of range 0..6");
  Qcow2ImageBuilder c;
  c.put_be32(crypt_method, 3);
  EXPECT_EQ(open_error(c), "unknown crypt_method 3 (0 none, 1 AES, 2 LUKS)");
  Qcow2ImageBuilder e({.cluster_bits = 12});
  e.put_be64(incompatible_features, 1u << 4);
  EXPECT_EQ(open_error(e), "extended L2 entries need cluster_bits >= 14, image has 12");
}

TEST(Qcow2Hostile, VirtualSizeAndL1Table) {
  Qcow2ImageBuilder huge;
  huge.put_be64(size, ~std::uint64_t{0});
  EXPECT_EQ(open_error(huge), "virtual size 0xffffffffffffffff exceeds 2^63-1");
  Qcow2ImageBuilder small({.virtual_size = 1 << 30});  // needs 2 entries with 64 KiB clusters
  small.put_be32(l1_size, 1);
  EXPECT_EQ(open_error(small), "l1_size 1 is too small for virtual size 0x40000000 (needs 2 entries)");
  Qcow2ImageBuilder big;
  big.put_be32(l1_size, 0xffffffff);
  EXPECT_EQ(open_error(big), "l1_size 4294967295 exceeds QEMU's limit of 4194304 entries");
  Qcow2ImageBuilder past_eof;
  past_eof.put_be32(l1_size, 100000);  // allowed by QEMU's limit, but not in this file
  EXPECT_EQ(open_error(past_eof), "L1 table (100000 entries at 0x30000) extends beyond the end of the file (" +
                                      hex(past_eof.bytes().size()) + " bytes)");
  Qcow2ImageBuilder unaligned;
  unaligned.put_be64(l1_table_offset, 0x30008);
  EXPECT_EQ(open_error(unaligned), "l1_table_offset 0x30008 is not aligned to the cluster size 0x10000");
  Qcow2ImageBuilder wrapping;
  wrapping.put_be64(l1_table_offset, 0xffffffffffff0000);
  wrapping.put_be32(l1_size, 0x10000);  // offset + size wraps around 2^64
  EXPECT_EQ(open_error(wrapping), "L1 table (65536 entries at 0xffffffffffff0000) extends beyond the end of the file (" +
                                      hex(wrapping.bytes().size()) + " bytes)");
}

TEST(Qcow2Hostile, RefcountTableAndSnapshots) {
  Qcow2ImageBuilder big;
  big.put_be32(refcount_table_clusters, 0x80000000);
  EXPECT_EQ(open_error(big), "refcount_table_clusters 2147483648 exceeds QEMU's limit of 8388608 bytes");
  Qcow2ImageBuilder none;
  none.put_be32(refcount_table_clusters, 0);
  EXPECT_EQ(open_error(none), "refcount_table_clusters is 0");
  Qcow2ImageBuilder far;
  far.put_be64(refcount_table_offset, std::uint64_t{1} << 40);
  EXPECT_EQ(open_error(far), "refcount_table_offset 0x10000000000 is beyond the end of the file");
  Qcow2ImageBuilder snaps;
  snaps.put_be32(nb_snapshots, 70000);
  EXPECT_EQ(open_error(snaps), "nb_snapshots 70000 exceeds QEMU's limit of 65536");
}

TEST(Qcow2Hostile, FeatureBitsAndCompressionType) {
  Qcow2ImageBuilder named({.extra_incompatible_bits = std::uint64_t{1} << 7, .incompatible_feature_names = {{7, "warp drive"}}});
  EXPECT_EQ(open_error(named), "unsupported incompatible feature bit(s): 7 (warp drive)");
  Qcow2ImageBuilder anonymous({.extra_incompatible_bits = (std::uint64_t{1} << 63) | (1u << 5)});
  EXPECT_EQ(open_error(anonymous), "unsupported incompatible feature bit(s): 5, 63");
  Qcow2ImageBuilder zstd_without_bit;
  zstd_without_bit.put_u8(compression_type, 1);
  EXPECT_EQ(open_error(zstd_without_bit),
            "compression_type 1 needs incompatible bit 3 (compression type), which is clear");
  Qcow2ImageBuilder bit_without_type({.extra_incompatible_bits = 1u << 3});
  EXPECT_EQ(open_error(bit_without_type),
            "incompatible bit 3 (compression type) is set but compression_type is 0 (zlib)");
  Qcow2ImageBuilder zstd({.extra_incompatible_bits = 1u << 3});
  zstd.put_u8(compression_type, 1);
  EXPECT_EQ(inspect(zstd).compression_type(), 1);
  zstd.put_u8(compression_type, 9);
  EXPECT_EQ(open_error(zstd), "unknown compression_type 9 (0 zlib, 1 zstd)");
}

TEST(Qcow2Hostile, ExtensionsAndBackingName) {
  Qcow2ImageBuilder b({.backing_format = std::string("raw")});
  b.put_be32(112 + 4, 0x7fffffff);  // length of the backing format extension
  EXPECT_EQ(open_error(b), "header extension 0xe2792aca at 0x70 has length 2147483647, past the end of the "
                           "extension area 0x10000");
  b.put_be32(112 + 4, 16);
  EXPECT_EQ(open_error(b), "backing format extension at 0x70 has length 16 (max 15)");
  Qcow2ImageBuilder name({.backing_file = std::string("base")});
  name.put_be32(backing_file_size, 2000);
  EXPECT_NE(open_error(name).find("backing_file_size 2000 at"), std::string::npos);
  name.put_be64(backing_file_offset, 0x20000);
  EXPECT_EQ(open_error(name), "backing_file_offset 0x20000 is beyond the first cluster");
}

TEST(Qcow2Hostile, RefcountBlockOffsetsAreValidated) {
  Qcow2ImageBuilder b;
  b.put_be64(b.refcount_table_offset(), b.refcount_block_offset() + 0x200);
  EXPECT_EQ(format_error_of([&] { inspect(b).refcount(0); }),
            "refcount block offset 0x20200 at refcount table index 0 is not aligned to the cluster size");
  b.put_be64(b.refcount_table_offset(), std::uint64_t{1} << 50);
  EXPECT_EQ(format_error_of([&] { inspect(b).check(); }),
            "refcount block offset 0x4000000000000 at refcount table index 0 is beyond the end of the file (" +
                hex(b.bytes().size()) + " bytes)");
}

TEST(Qcow2Hostile, L1EntriesSharingAnL2TableAreRefused) {
  Qcow2ImageBuilder b({.cluster_bits = 9, .virtual_size = 1 << 20});
  b.map_data_cluster(0);
  const std::uint64_t table = b.l2_table_offset(0);
  b.put_be64(b.l1_table_offset() + 7 * 8, table);
  EXPECT_EQ(open_error(b), "L1 entries 0 and 7 both point to the L2 table at " + hex(table));
}

TEST(Qcow2Hostile, EveryTruncationIsRefusedOrMapped) {
  Qcow2ImageBuilder b({.cluster_bits = 9, .virtual_size = 64 * 1024, .backing_file = std::string("b"),
                       .backing_format = std::string("qcow2")});
  for (std::uint64_t c = 0; c < 128; c += 3) b.map_data_cluster(c);
  const auto& full = b.bytes();
  int refused = 0;
  for (std::size_t n = 0; n <= full.size(); n += 7) {
    const std::span<const std::uint8_t> prefix(full.data(), n);
    exercise(prefix);
    refused += format_error_of([&] { Qcow2Inspector(prefix).map(); }).empty() ? 0 : 1;
  }
  EXPECT_GT(refused, 0);
  EXPECT_TRUE(Qcow2Inspector(full).check().empty());
}

TEST(Qcow2Hostile, RandomCorruptionOnlyEverRaisesFormatErrors) {
  Qcow2ImageBuilder b({.cluster_bits = 14, .virtual_size = 1 << 20, .extended_l2 = true});
  for (std::uint64_t c = 0; c < 64; c += 5) b.map_data_cluster(c);
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::uint8_t> bytes = b.bytes();
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) {
      // Mostly metadata: header, refcount structures, L1 and the first L2 tables.
      const std::size_t at = rng() % std::min<std::size_t>(bytes.size(), 7 * 16384);
      bytes[at] = static_cast<std::uint8_t>(rng());
    }
    exercise(bytes);
  }
}

}  // namespace
}  // namespace chaincheck::impl::testing
