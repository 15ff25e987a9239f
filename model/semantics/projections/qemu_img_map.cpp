#include "model/semantics/projections/qemu_img_map.hpp"

namespace chaincheck::model {

std::vector<MapEntry> qemu_img_map(const ModelState& s, const Graph& g, u64 start, u64 length) {
  std::vector<MapEntry> out;
  for_each_status(s, g, g.root, start, length, [&](const StatusExtent& e) {
    const BlockStatus& st = e.status;
    MapEntry m;
    m.start = e.start;
    m.length = st.pnum;
    m.depth = st.layer;
    m.present = st.flags & kAllocated;
    m.zero = st.flags & kZero;
    m.data = st.flags & kData;
    if (st.flags & kOffsetValid) m.offset = st.host_offset;
    // entry_mergeable: equal flags, depth, presence of an offset, contiguous offsets.
    if (!out.empty()) {
      MapEntry& p = out.back();
      bool contiguous = !p.offset || (m.offset && *p.offset + p.length == *m.offset);
      if (p.zero == m.zero && p.data == m.data && p.depth == m.depth &&
          p.present == m.present && p.offset.has_value() == m.offset.has_value() && contiguous) {
        p.length += m.length;
        return;
      }
    }
    out.push_back(m);
  });
  return out;
}

std::string map_to_json(const std::vector<MapEntry>& entries) {
  std::string out = "[";
  auto b = [](bool v) { return v ? "true" : "false"; };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const MapEntry& m = entries[i];
    if (i) out += ",\n";
    out += "{ \"start\": " + std::to_string(m.start) + ", \"length\": " + std::to_string(m.length) +
           ", \"depth\": " + std::to_string(m.depth) + ", \"present\": " + b(m.present) +
           ", \"zero\": " + b(m.zero) + ", \"data\": " + b(m.data);
    if (m.offset) out += ", \"offset\": " + std::to_string(*m.offset);
    out += "}";
  }
  out += "]\n";
  return out;
}

std::vector<MapEntry> canonical_map(const std::vector<MapEntry>& entries) {
  std::vector<MapEntry> out;
  for (MapEntry m : entries) {
    if (m.offset) m.offset = 0;  // keep only whether an offset exists
    if (!out.empty()) {
      MapEntry& p = out.back();
      if (p.start + p.length == m.start && p.zero == m.zero && p.data == m.data &&
          p.depth == m.depth && p.present == m.present && p.offset == m.offset) {
        p.length += m.length;
        continue;
      }
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace chaincheck::model
