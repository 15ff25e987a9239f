// Test-only: builds small qcow2 images in memory, cluster by cluster, so unit tests can
// state exactly which L1/L2/refcount bytes an image holds (and then corrupt them).
// Layout: cluster 0 header (+ extensions, backing name), 1 refcount table, 2 refcount
// block, 3.. L1 table, then clusters appended by allocate_cluster().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chaincheck::impl::testing {

struct Qcow2BuildOptions {
  std::uint32_t version = 3;
  std::uint32_t cluster_bits = 16;
  std::uint64_t virtual_size = 1 << 20;
  bool extended_l2 = false;
  bool external_data_file = false;
  std::uint32_t refcount_order = 4;
  std::uint64_t extra_incompatible_bits = 0;
  std::optional<std::string> backing_file;
  std::optional<std::string> backing_format;
  std::vector<std::pair<std::uint8_t, std::string>> incompatible_feature_names;  // bit, name
};

class Qcow2ImageBuilder {
 public:
  explicit Qcow2ImageBuilder(Qcow2BuildOptions options = {});

  std::uint64_t cluster_size() const { return std::uint64_t{1} << options_.cluster_bits; }
  std::uint64_t l1_table_offset() const { return 3 * cluster_size(); }
  std::uint64_t refcount_table_offset() const { return cluster_size(); }
  std::uint64_t refcount_block_offset() const { return 2 * cluster_size(); }
  std::uint32_t l1_size() const { return l1_size_; }

  // Appends a zeroed cluster with refcount 1; returns its host offset.
  std::uint64_t allocate_cluster();
  // Sets the L2 entry (and bitmap, extended L2) of a guest cluster, allocating its L2
  // table with refcount 1 and an L1 entry (COPIED) on first use.
  void set_l2_entry(std::uint64_t guest_cluster, std::uint64_t entry, std::uint64_t bitmap = 0);
  // A Normal cluster: allocates a data cluster and maps guest_cluster to it (COPIED).
  std::uint64_t map_data_cluster(std::uint64_t guest_cluster);
  std::uint64_t l2_table_offset(std::uint64_t l1_index) const;
  void set_refcount(std::uint64_t host_cluster_index, std::uint64_t value);

  void put_u8(std::uint64_t offset, std::uint8_t value);
  void put_be32(std::uint64_t offset, std::uint32_t value);
  void put_be64(std::uint64_t offset, std::uint64_t value);
  void truncate(std::uint64_t size) { bytes_.resize(size); }

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  void write_header();
  void ensure_size(std::uint64_t size);

  Qcow2BuildOptions options_;
  std::uint32_t l1_size_ = 0;
  std::vector<std::uint8_t> bytes_;
};

// Header field offsets (qcow2.txt, "Header") for tests that corrupt them.
namespace qcow2_field {
inline constexpr std::uint64_t magic = 0, version = 4, backing_file_offset = 8, backing_file_size = 16,
                               cluster_bits = 20, size = 24, crypt_method = 32, l1_size = 36, l1_table_offset = 40,
                               refcount_table_offset = 48, refcount_table_clusters = 56, nb_snapshots = 60,
                               snapshots_offset = 64, incompatible_features = 72, compatible_features = 80,
                               autoclear_features = 88, refcount_order = 96, header_length = 100,
                               compression_type = 104;
}

}  // namespace chaincheck::impl::testing
