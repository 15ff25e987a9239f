#include "model/semantics/projections/nbd_contexts.hpp"

#include <algorithm>

#include "model/semantics/rounding.hpp"

namespace chaincheck::model {

const char* to_string(NbdContext c) {
  switch (c) {
    case NbdContext::BaseAllocation: return "base:allocation";
    case NbdContext::AllocationDepth: return "qemu:allocation-depth";
    case NbdContext::JointAllocation: return "qemu:joint-allocation";
  }
  return "?";
}

std::uint32_t context_value(NbdContext c, const BlockStatus& st) {
  // base:allocation: HOLE = !DATA, ZERO = ZERO (nbd/server.c blockstatus_to_extents).
  std::uint32_t base = ((st.flags & kData) ? 0 : kNbdHole) | ((st.flags & kZero) ? kNbdZero : 0);
  switch (c) {
    case NbdContext::BaseAllocation: return base;
    case NbdContext::AllocationDepth: return st.depth;
    case NbdContext::JointAllocation:
      return base | (st.depth == 1 ? kJointLocal : 0) | (st.depth >= 2 ? kJointBacking : 0);
  }
  return 0;
}

std::vector<NbdExtent> merge_equal(std::vector<NbdExtent> extents) {
  std::size_t n = 0;  // merged in place: the input's buffer becomes the result
  for (std::size_t i = 0; i < extents.size(); ++i) {
    const NbdExtent e = extents[i];
    if (e.length == 0) continue;
    if (n > 0 && extents[n - 1].value == e.value && extents[n - 1].end() == e.start) {
      extents[n - 1].length += e.length;
    } else {
      extents[n++] = e;
    }
  }
  extents.resize(n);
  return extents;
}

std::vector<NbdExtent> nbd_extents(const ModelState& s, const Graph& g, NbdContext c, u64 offset,
                                   u64 length, u64 min_block) {
  std::vector<StatusExtent> st = status_extents(s, g, g.root, offset, length);
  if (min_block > 1) st = round_sticky(st, min_block, node_length(s, g, g.root));
  std::vector<NbdExtent> out;
  out.reserve(st.size());
  for (const StatusExtent& e : st) out.push_back({e.start, e.status.pnum, context_value(c, e.status)});
  return merge_equal(std::move(out));
}

std::vector<MergedExtent> merge_contexts(const std::vector<std::vector<NbdExtent>>& contexts) {
  std::vector<MergedExtent> out;
  if (contexts.empty()) return out;
  std::vector<std::size_t> idx(contexts.size(), 0);
  for (const auto& c : contexts)
    if (c.empty()) return out;
  u64 pos = contexts[0][0].start;
  for (;;) {
    u64 next = UINT64_MAX;
    MergedExtent m;
    m.start = pos;
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      const auto& c = contexts[i];
      while (idx[i] < c.size() && c[idx[i]].end() <= pos) ++idx[i];
      if (idx[i] == c.size() || c[idx[i]].start > pos) return out;  // this context stops here
      m.values.push_back(c[idx[i]].value);
      next = std::min(next, c[idx[i]].end());
    }
    m.length = next - pos;
    if (!out.empty() && out.back().values == m.values && out.back().start + out.back().length == pos) {
      out.back().length += m.length;
    } else {
      out.push_back(std::move(m));
    }
    pos = next;
  }
}

std::vector<NbdExtent> split_context(const std::vector<MergedExtent>& merged, std::size_t index) {
  std::vector<NbdExtent> out;
  out.reserve(merged.size());
  for (const MergedExtent& m : merged) out.push_back({m.start, m.length, m.values.at(index)});
  return merge_equal(std::move(out));
}

std::vector<NbdExtent> joint_from_contexts(const std::vector<NbdExtent>& base_allocation,
                                           const std::vector<NbdExtent>& allocation_depth) {
  std::vector<NbdExtent> out;
  for (const MergedExtent& m : merge_contexts({base_allocation, allocation_depth})) {
    std::uint32_t depth = m.values[1];
    out.push_back({m.start, m.length,
                   (m.values[0] & (kNbdHole | kNbdZero)) | (depth == 1 ? kJointLocal : 0) |
                       (depth >= 2 ? kJointBacking : 0)});
  }
  return merge_equal(std::move(out));
}

}  // namespace chaincheck::model
