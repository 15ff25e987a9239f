#include "impl/qcow2/l2_entry.hpp"

#include "impl/qcow2/qcow2_error.hpp"

namespace chaincheck::impl {

using namespace qcow2_l2;

std::string L2EntryLocation::describe() const {
  return "L1 index " + std::to_string(l1_index) + ", L2 index " + std::to_string(l2_index) + " (guest offset " +
         hex(guest_offset) + ")";
}

CompressedCluster parse_compressed_descriptor(std::uint32_t cluster_bits, std::uint64_t entry) {
  const unsigned x = 62 - (cluster_bits - 8);  // first bit of the sector count
  const std::uint64_t offset = entry & ((std::uint64_t{1} << x) - 1);
  const std::uint64_t sector_mask = (std::uint64_t{1} << (cluster_bits - 8)) - 1;
  const std::uint64_t sectors = ((entry >> x) & sector_mask) + 1;  // "additional sectors" + the first
  return {offset, sectors * 512 - (offset & 511)};
}

namespace {

void require_aligned(std::uint64_t host, const L2Rules& rules, const L2EntryLocation& where) {
  if (host & ((std::uint64_t{1} << rules.cluster_bits) - 1))
    throw Qcow2FormatError("host cluster offset " + hex(host) + " at " + where.describe() +
                           " is not aligned to the cluster size " + hex(std::uint64_t{1} << rules.cluster_bits));
}

}  // namespace

DecodedL2Entry decode_l2_entry(const L2Rules& rules, std::uint64_t entry, std::uint64_t bitmap,
                               const L2EntryLocation& where) {
  DecodedL2Entry d;
  d.units = rules.extended_l2 ? subclusters_per_cluster : 1;

  if (entry & compressed) {
    // qcow2.txt: external data files support no compressed clusters; a compressed
    // cluster's subcluster bitmap is reserved (0).
    if (rules.external_data_file)
      throw Qcow2FormatError("compressed cluster at " + where.describe() + " in an image with an external data file");
    if (rules.extended_l2 && bitmap != 0)
      throw Qcow2FormatError("compressed cluster at " + where.describe() + " has a non-zero subcluster bitmap " +
                             hex(bitmap));
    d.compressed = parse_compressed_descriptor(rules.cluster_bits, entry);
    d.states.fill(ClusterState::Compressed);
    return d;
  }

  const std::uint64_t offset = entry & offset_mask;
  // Offset 0 means "no host cluster", except in an external data file where bit 63
  // (refcount exactly 1) marks guest cluster 0 mapped at data-file offset 0.
  const bool has_host = offset != 0 || (rules.external_data_file && (entry & copied));

  if (!rules.extended_l2) {
    ClusterState state;
    if (entry & zero) {
      // The zero flag exists from v3 on (qcow2.txt, "Standard Cluster Descriptor").
      if (rules.version < 3)
        throw Qcow2FormatError("v2 image has a zero-flag L2 entry at " + where.describe());
      state = offset != 0 ? ClusterState::ZeroAlloc : ClusterState::ZeroPlain;
    } else {
      state = has_host ? ClusterState::Normal : ClusterState::Unallocated;
    }
    if (state == ClusterState::Normal || state == ClusterState::ZeroAlloc) {
      require_aligned(offset, rules, where);
      d.host_cluster_offset = offset;
    }
    d.states[0] = state;
    return d;
  }

  // Extended L2 (qcow2.txt, "Extended L2 Entries"): bits 0-31 allocated, 32-63 reads as
  // zero; the standard zero flag is not used.
  const std::uint32_t alloc = static_cast<std::uint32_t>(bitmap);
  const std::uint32_t zeroes = static_cast<std::uint32_t>(bitmap >> 32);
  if (has_host) {
    if (const std::uint32_t both = alloc & zeroes) {
      unsigned sc = static_cast<unsigned>(__builtin_ctz(both));
      throw Qcow2FormatError("extended L2 entry at " + where.describe() + " marks subcluster " + std::to_string(sc) +
                             " both allocated and zero (bitmap " + hex(bitmap) + ")");
    }
    require_aligned(offset, rules, where);
    d.host_cluster_offset = offset;
    for (unsigned i = 0; i < subclusters_per_cluster; ++i)
      d.states[i] = (zeroes >> i & 1)  ? ClusterState::ZeroAlloc
                    : (alloc >> i & 1) ? ClusterState::Normal
                                       : ClusterState::UnallocatedAlloc;
  } else {
    if (alloc)
      throw Qcow2FormatError("extended L2 entry at " + where.describe() +
                             " has no host cluster but allocated subclusters (bitmap " + hex(bitmap) + ")");
    for (unsigned i = 0; i < subclusters_per_cluster; ++i)
      d.states[i] = (zeroes >> i & 1) ? ClusterState::ZeroPlain : ClusterState::Unallocated;
  }
  return d;
}

}  // namespace chaincheck::impl
