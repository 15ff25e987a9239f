#include "impl/qcow2/qcow2_header.hpp"

#include <array>
#include <limits>
#include <string>

#include "impl/qcow2/byte_order.hpp"
#include "impl/qcow2/qcow2_error.hpp"

namespace chaincheck::impl {

using namespace qcow2_bytes;

namespace {

constexpr std::uint32_t kMagic = 0x514649fb;  // "QFI\xfb"
constexpr std::uint32_t kV2HeaderLength = 72;
constexpr std::uint32_t kV3MinHeaderLength = 104;
constexpr std::uint32_t kMinClusterBits = 9, kMaxClusterBits = 21;  // QEMU's limits
constexpr std::uint32_t kMinExtendedL2ClusterBits = 14;
constexpr std::uint64_t kMaxL1Bytes = 32ull << 20;        // QEMU's QCOW_MAX_L1_SIZE
constexpr std::uint64_t kMaxRefcountTableBytes = 8ull << 20;  // QCOW_MAX_REFTABLE_SIZE
constexpr std::uint32_t kMaxSnapshots = 65536;

[[noreturn]] void fail(const std::string& what) { throw Qcow2FormatError(what); }

void require_cluster_aligned(std::uint64_t offset, const Qcow2Header& h, const char* field) {
  if (offset & (h.cluster_size() - 1))
    fail(std::string(field) + " " + hex(offset) + " is not aligned to the cluster size " + hex(h.cluster_size()));
}

}  // namespace

std::uint64_t Qcow2Header::l1_entries_needed() const {
  const std::uint32_t shift = cluster_bits + l2_bits();  // bytes of guest space per L1 entry
  return (virtual_size >> shift) + ((virtual_size & ((std::uint64_t{1} << shift) - 1)) != 0);
}

Qcow2Header read_header(const ImageSource& source) {
  const std::uint64_t file_size = source.size();
  if (file_size < kV2HeaderLength)
    fail("file is " + std::to_string(file_size) + " bytes, too short for a qcow2 header (72)");
  std::array<std::uint8_t, kV3MinHeaderLength + 8> raw{};
  source.read_at(0, raw);  // bytes past a short file read as zero; checked below
  const std::uint8_t* p = raw.data();

  if (load_be32(p) != kMagic) fail("bad magic " + hex(load_be32(p)) + " (expected 0x514649fb, \"QFI\\xfb\")");
  Qcow2Header h;
  h.version = load_be32(p + 4);
  if (h.version != 2 && h.version != 3)
    fail("unsupported qcow2 version " + std::to_string(h.version) + " (expected 2 or 3)");
  h.backing_file_offset = load_be64(p + 8);
  h.backing_file_size = load_be32(p + 16);
  h.cluster_bits = load_be32(p + 20);
  h.virtual_size = load_be64(p + 24);
  h.crypt_method = load_be32(p + 32);
  h.l1_size = load_be32(p + 36);
  h.l1_table_offset = load_be64(p + 40);
  h.refcount_table_offset = load_be64(p + 48);
  h.refcount_table_clusters = load_be32(p + 56);
  h.nb_snapshots = load_be32(p + 60);
  h.snapshots_offset = load_be64(p + 64);

  if (h.cluster_bits < kMinClusterBits || h.cluster_bits > kMaxClusterBits)
    fail("cluster_bits " + std::to_string(h.cluster_bits) + " out of range 9..21");

  if (h.version == 3) {
    if (file_size < kV3MinHeaderLength)
      fail("v3 header needs 104 bytes but the file has " + std::to_string(file_size));
    h.incompatible_features = load_be64(p + 72);
    h.compatible_features = load_be64(p + 80);
    h.autoclear_features = load_be64(p + 88);
    h.refcount_order = load_be32(p + 96);
    h.header_length = load_be32(p + 100);
    if (h.header_length < kV3MinHeaderLength)
      fail("header_length " + std::to_string(h.header_length) + " is shorter than the 104-byte v3 header");
    if (h.header_length > h.cluster_size())
      fail("header_length " + std::to_string(h.header_length) + " exceeds the cluster size " +
           std::to_string(h.cluster_size()));
    if (h.header_length > file_size)
      fail("header_length " + std::to_string(h.header_length) + " reaches past the end of the file (" +
           std::to_string(file_size) + " bytes)");
    // compression_type (byte 104) is present only when the header is long enough.
    if (h.header_length > 104) h.compression_type = p[104];
  }

  if (h.refcount_order > 6) fail("refcount_order " + std::to_string(h.refcount_order) + " out of range 0..6");
  if (h.crypt_method > 2) fail("unknown crypt_method " + std::to_string(h.crypt_method) + " (0 none, 1 AES, 2 LUKS)");
  if (h.extended_l2() && h.cluster_bits < kMinExtendedL2ClusterBits)
    fail("extended L2 entries need cluster_bits >= 14, image has " + std::to_string(h.cluster_bits));
  if (h.virtual_size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    fail("virtual size " + hex(h.virtual_size) + " exceeds 2^63-1");

  // Backing file name: inside the first cluster, at most 1023 bytes (qcow2.txt, "Header").
  if (h.backing_file_offset != 0) {
    if (h.backing_file_offset > h.cluster_size())
      fail("backing_file_offset " + hex(h.backing_file_offset) + " is beyond the first cluster");
    if (h.backing_file_size > 1023 || h.backing_file_size > h.cluster_size() - h.backing_file_offset)
      fail("backing_file_size " + std::to_string(h.backing_file_size) + " at " + hex(h.backing_file_offset) +
           " is too long (max 1023, and must end inside the first cluster)");
  }

  // L1 table: bounded by QEMU's limit and by the file itself, so it can be loaded whole.
  if (std::uint64_t{h.l1_size} * 8 > kMaxL1Bytes)
    fail("l1_size " + std::to_string(h.l1_size) + " exceeds QEMU's limit of " + std::to_string(kMaxL1Bytes / 8) +
         " entries");
  if (h.l1_size < h.l1_entries_needed())
    fail("l1_size " + std::to_string(h.l1_size) + " is too small for virtual size " + hex(h.virtual_size) +
         " (needs " + std::to_string(h.l1_entries_needed()) + " entries)");
  if (h.l1_size > 0) {
    require_cluster_aligned(h.l1_table_offset, h, "l1_table_offset");
    auto end = checked_add(h.l1_table_offset, std::uint64_t{h.l1_size} * 8);
    if (!end || *end > file_size)
      fail("L1 table (" + std::to_string(h.l1_size) + " entries at " + hex(h.l1_table_offset) +
           ") extends beyond the end of the file (" + hex(file_size) + " bytes)");
  }

  // Refcount table: contiguous, bounded like QEMU's, starting inside the file.
  require_cluster_aligned(h.refcount_table_offset, h, "refcount_table_offset");
  if (std::uint64_t{h.refcount_table_clusters} > kMaxRefcountTableBytes / h.cluster_size())
    fail("refcount_table_clusters " + std::to_string(h.refcount_table_clusters) + " exceeds QEMU's limit of " +
         std::to_string(kMaxRefcountTableBytes) + " bytes");
  if (h.refcount_table_clusters == 0) fail("refcount_table_clusters is 0");
  if (h.refcount_table_offset == 0 || h.refcount_table_offset >= file_size)
    fail("refcount_table_offset " + hex(h.refcount_table_offset) +
         (h.refcount_table_offset == 0 ? " overlaps the header" : " is beyond the end of the file"));

  if (h.nb_snapshots > kMaxSnapshots)
    fail("nb_snapshots " + std::to_string(h.nb_snapshots) + " exceeds QEMU's limit of 65536");
  if (h.nb_snapshots > 0) require_cluster_aligned(h.snapshots_offset, h, "snapshots_offset");
  return h;
}

}  // namespace chaincheck::impl
