#include "impl/qcow2/cluster_map.hpp"

#include <algorithm>
#include <utility>

#include "impl/qcow2/byte_order.hpp"
#include "impl/qcow2/qcow2_error.hpp"

namespace chaincheck::impl {

using namespace qcow2_bytes;

std::uint64_t MappingLayout::entries_in_table(std::uint64_t l1_index) const {
  const std::uint64_t clusters =
      (virtual_size >> rules.cluster_bits) + ((virtual_size & (cluster_size() - 1)) != 0);
  const std::uint64_t first = l1_index << l2_bits;  // l1_index < 2^32, l2_bits <= 18
  if (first >= clusters) return 0;
  return std::min<std::uint64_t>(std::uint64_t{1} << l2_bits, clusters - first);
}

MappingLayout make_mapping_layout(const Qcow2Header& h, std::span<const std::uint64_t> l1) {
  MappingLayout m;
  m.rules = {h.version, h.cluster_bits, h.extended_l2(), h.external_data_file()};
  m.l2_bits = h.l2_bits();
  m.l2_entry_bytes = h.l2_entry_bytes();
  m.virtual_size = h.virtual_size;
  m.l1 = l1;
  return m;
}

void validate_l2_table_offset(const ImageSource& source, const MappingLayout& layout, std::uint64_t l1_index,
                              std::uint64_t l2_offset) {
  // L2 tables are exactly one cluster, cluster aligned (qcow2.txt, "Cluster mapping").
  if (l2_offset & (layout.cluster_size() - 1))
    throw Qcow2FormatError("L2 table offset " + hex(l2_offset) + " at L1 index " + std::to_string(l1_index) +
                           " is not aligned to the cluster size " + hex(layout.cluster_size()));
  if (l2_offset >= source.size())
    throw Qcow2FormatError("L2 table offset " + hex(l2_offset) + " at L1 index " + std::to_string(l1_index) +
                           " is beyond the end of the file (" + hex(source.size()) + " bytes)");
}

void validate_l1_table(std::span<const std::uint64_t> l1) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> tables;  // (L2 offset, L1 index)
  for (std::uint64_t i = 0; i < l1.size(); ++i)
    if (const std::uint64_t off = l1[i] & qcow2_l2::offset_mask) tables.emplace_back(off, i);
  std::sort(tables.begin(), tables.end());
  for (std::size_t i = 1; i < tables.size(); ++i)
    if (tables[i].first == tables[i - 1].first)
      throw Qcow2FormatError("L1 entries " + std::to_string(tables[i - 1].second) + " and " +
                             std::to_string(tables[i].second) + " both point to the L2 table at " +
                             hex(tables[i].first));
}

L2Table::L2Table(const ImageSource& source, const MappingLayout& layout, std::uint64_t l1_index,
                 std::uint64_t l2_offset, std::uint64_t first, std::uint64_t count)
    : entry_bytes_(layout.l2_entry_bytes) {
  validate_l2_table_offset(source, layout, l1_index, l2_offset);
  const std::uint64_t entries = layout.entries_in_table(l1_index);
  first_ = std::min(first, entries);
  end_ = first_ + std::min(count, entries - first_);
  bytes_.resize((end_ - first_) * entry_bytes_);
  const std::size_t present = source.read_at(l2_offset + first_ * entry_bytes_, bytes_);
  present_end_ = first_ + (present + entry_bytes_ - 1) / entry_bytes_;
}

std::uint64_t L2Table::entry(std::uint64_t index) const { return load_be64(&bytes_[(index - first_) * entry_bytes_]); }

std::uint64_t L2Table::bitmap(std::uint64_t index) const {
  return entry_bytes_ == 16 ? load_be64(&bytes_[(index - first_) * entry_bytes_ + 8]) : 0;
}

std::vector<GuestExtent> decode_l2_entries(const ImageSource& source, const MappingLayout& layout,
                                           std::uint64_t l1_index, std::uint64_t l2_offset, std::uint64_t first,
                                           std::uint64_t count) {
  const L2Table table(source, layout, l1_index, l2_offset, first, count);
  std::vector<GuestExtent> runs;
  const ExtentVisitor collect = [&runs](const GuestExtent& e) {
    runs.push_back(e);
    return true;
  };
  ExtentMerger merger(collect);
  const std::uint64_t unit = layout.unit_size();
  const std::uint32_t cluster_bits = layout.rules.cluster_bits;
  const std::uint64_t table_base = l1_index << layout.table_span_bits();
  for (std::uint64_t i = table.first(); i < table.present_end(); ++i) {
    const std::uint64_t rel = i << cluster_bits;
    const L2EntryLocation where{l1_index, i, table_base + rel};
    const DecodedL2Entry d = decode_l2_entry(layout.rules, table.entry(i), table.bitmap(i), where);
    for (unsigned u = 0; u < d.units; ++u) {
      GuestExtent e{rel + u * unit, unit, d.states[u], std::nullopt, d.compressed};
      if (d.compressed) e.length = layout.cluster_size();
      if (d.host_cluster_offset) e.host_offset = *d.host_cluster_offset + u * unit;
      merger.add(e);
      if (d.compressed) break;
    }
  }
  // Entries past the end of the file read as zeroes: unallocated.
  if (table.present_end() < table.end()) {
    const std::uint64_t rel = table.present_end() << cluster_bits;
    merger.add({rel, (table.end() << cluster_bits) - rel, ClusterState::Unallocated, {}, {}});
  }
  merger.finish();
  return runs;
}

bool walk_guest_range(const ImageSource& source, const MappingLayout& layout, std::uint64_t offset,
                      std::uint64_t length, const ExtentVisitor& visit) {
  const std::uint64_t end = std::min(layout.virtual_size, checked_add(offset, length).value_or(UINT64_MAX));
  ExtentMerger merger(visit);
  const std::uint32_t span_bits = layout.table_span_bits(), cluster_bits = layout.rules.cluster_bits;
  for (std::uint64_t pos = offset; pos < end;) {
    const std::uint64_t l1_index = pos >> span_bits;
    const std::uint64_t table_base = l1_index << span_bits;
    const std::uint64_t table_end = std::min(end, table_base + (std::uint64_t{1} << span_bits));
    const std::uint64_t l2_offset = l1_index < layout.l1.size() ? layout.l1[l1_index] & qcow2_l2::offset_mask : 0;
    if (l2_offset == 0) {
      // No L2 table: every cluster it would describe is unallocated.
      if (!merger.add({pos, table_end - pos, ClusterState::Unallocated, {}, {}})) return false;
      pos = table_end;
      continue;
    }
    // Only the entries of the clusters [pos, table_end) touches are read and decoded.
    const std::uint64_t rel_pos = pos - table_base, rel_end = table_end - table_base;
    const std::uint64_t first = rel_pos >> cluster_bits;
    const std::uint64_t last = (rel_end - 1) >> cluster_bits;
    for (const GuestExtent& run : decode_l2_entries(source, layout, l1_index, l2_offset, first, last - first + 1)) {
      const std::uint64_t from = std::max(run.guest_offset, rel_pos), to = std::min(run.end(), rel_end);
      if (from >= to) continue;
      GuestExtent e = run;
      e.guest_offset = table_base + from;
      e.length = to - from;
      if (e.host_offset) *e.host_offset += from - run.guest_offset;
      if (!merger.add(e)) return false;
    }
    pos = table_end;
  }
  return merger.finish();
}

}  // namespace chaincheck::impl
