#include "impl/qcow2/consistency_check.hpp"

#include <algorithm>
#include <unordered_set>

#include "impl/qcow2/qcow2_error.hpp"

namespace chaincheck::impl {

namespace {

class ProblemList {
 public:
  void add(std::string message) {
    if (messages_.size() < kMax)
      messages_.push_back(std::move(message));
    else
      ++dropped_;
  }
  std::vector<std::string> take() {
    if (dropped_) messages_.push_back("... and " + std::to_string(dropped_) + " more problems");
    return std::move(messages_);
  }

 private:
  static constexpr std::size_t kMax = 100;
  std::vector<std::string> messages_;
  std::uint64_t dropped_ = 0;
};

class Checker {
 public:
  Checker(const ImageSource& source, const Qcow2Header& header, const MappingLayout& layout,
          const RefcountReader& refcounts)
      : source_(source), h_(header), layout_(layout), refcounts_(refcounts) {}

  std::vector<std::string> run() {
    if (h_.dirty()) problems_.add("dirty bit is set: refcounts may be stale, refcount checks skipped");
    if (h_.corrupt()) problems_.add("corrupt bit is set");
    check_metadata_refcounts();
    check_mapping();
    return problems_.take();
  }

 private:
  bool refcounts_trusted() const { return !h_.dirty(); }

  std::uint64_t refcount_of(std::uint64_t host_offset) const { return refcounts_.refcount(host_offset >> h_.cluster_bits); }

  void require_referenced(std::uint64_t host_offset, const std::string& what) {
    if (!refcounts_trusted()) return;
    if (refcount_of(host_offset) == 0)
      problems_.add(what + " at host offset " + hex(host_offset) + " has refcount 0");
  }

  // Header, L1 table, refcount table and refcount blocks are all refcounted clusters.
  void check_metadata_refcounts() {
    require_referenced(0, "header cluster");
    const std::uint64_t cs = h_.cluster_size();
    for (std::uint64_t off = h_.l1_table_offset & ~(cs - 1); off < h_.l1_table_offset + std::uint64_t{h_.l1_size} * 8;
         off += cs)
      require_referenced(off, "L1 table cluster");
    for (std::uint64_t c = 0; c < h_.refcount_table_clusters; ++c) {
      const std::uint64_t off = h_.refcount_table_offset + c * cs;
      if (off >= source_.size()) {
        problems_.add("refcount table cluster " + std::to_string(c) + " at " + hex(off) + " is beyond the end of the file");
        break;
      }
      require_referenced(off, "refcount table cluster");
    }
    const std::uint64_t present = std::min(refcounts_.table_entries(), (source_.size() - h_.refcount_table_offset) / 8);
    for (std::uint64_t i = 0; i < present; ++i)
      if (const std::uint64_t block = refcounts_.block_offset(i))
        require_referenced(block, "refcount block " + std::to_string(i));
  }

  void check_copied(std::uint64_t raw, std::uint64_t host_offset, const std::string& what) {
    if (!refcounts_trusted() || h_.external_data_file()) return;
    const std::uint64_t rc = refcount_of(host_offset);
    if ((raw & qcow2_l2::copied) && rc != 1)
      problems_.add(what + ": COPIED flag set but refcount of " + hex(host_offset) + " is " + std::to_string(rc));
  }

  void check_mapping() {
    std::unordered_set<std::uint64_t> seen_tables;
    for (std::uint64_t i = 0; i < layout_.l1.size(); ++i) {
      const std::uint64_t raw = layout_.l1[i];
      if (raw & qcow2_l2::l1_reserved)
        problems_.add("L1 entry " + std::to_string(i) + " " + hex(raw) + " has reserved bits set");
      const std::uint64_t l2_offset = raw & qcow2_l2::offset_mask;
      if (l2_offset == 0) continue;
      validate_l2_table_offset(source_, layout_, i, l2_offset);
      require_referenced(l2_offset, "L2 table of L1 entry " + std::to_string(i));
      check_copied(raw, l2_offset, "L1 entry " + std::to_string(i));
      // Clusters an L2 table references are the same whichever L1 entry points at it.
      if (!seen_tables.insert(l2_offset).second) continue;
      check_l2_table(L2Table(source_, layout_, i, l2_offset), i);
    }
  }

  void check_l2_table(const L2Table& table, std::uint64_t l1_index) {
    const std::uint64_t table_base = l1_index << layout_.table_span_bits();
    for (std::uint64_t j = table.first(); j < table.present_end(); ++j) {
      const std::uint64_t raw = table.entry(j);
      if (raw == 0 && table.bitmap(j) == 0) continue;
      const L2EntryLocation where{l1_index, j, table_base + (j << h_.cluster_bits)};
      const DecodedL2Entry d = decode_l2_entry(layout_.rules, raw, table.bitmap(j), where);
      if (d.compressed) {
        const auto& c = *d.compressed;
        if (raw & qcow2_l2::copied)
          problems_.add("compressed cluster at " + where.describe() + " has the COPIED flag set");
        if (c.host_offset >= source_.size())
          problems_.add("compressed cluster at " + where.describe() + " starts at " + hex(c.host_offset) +
                        ", beyond the end of the file");
        else
          for (std::uint64_t off = c.host_offset & ~(h_.cluster_size() - 1); off < c.host_offset + c.size;
               off += h_.cluster_size())
            require_referenced(off, "compressed cluster at " + where.describe());
        continue;
      }
      std::uint64_t reserved = raw & qcow2_l2::standard_reserved;
      if (h_.extended_l2()) reserved |= raw & qcow2_l2::zero;  // unused with extended L2
      if (reserved)
        problems_.add("L2 entry at " + where.describe() + " " + hex(raw) + " has reserved bits " + hex(reserved) + " set");
      if (!d.host_cluster_offset) continue;
      const std::uint64_t host = *d.host_cluster_offset;
      if (h_.external_data_file()) {
        // qcow2.txt, incompatible bit 2: the host offset must match the guest offset.
        if (host != where.guest_offset)
          problems_.add("external data file cluster at " + where.describe() + " maps to " + hex(host) +
                        ", not to its guest offset");
        continue;
      }
      if (host >= source_.size()) {
        problems_.add("data cluster at " + where.describe() + " (host " + hex(host) + ") is beyond the end of the file");
        continue;
      }
      require_referenced(host, "data cluster at " + where.describe());
      check_copied(raw, host, "L2 entry at " + where.describe());
    }
  }

  const ImageSource& source_;
  const Qcow2Header& h_;
  const MappingLayout& layout_;
  const RefcountReader& refcounts_;
  ProblemList problems_;
};

}  // namespace

std::vector<std::string> check_consistency(const ImageSource& source, const Qcow2Header& header,
                                           const MappingLayout& layout, const RefcountReader& refcounts) {
  return Checker(source, header, layout, refcounts).run();
}

}  // namespace chaincheck::impl
