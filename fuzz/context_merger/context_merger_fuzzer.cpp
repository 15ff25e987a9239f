// Fuzz target 2: the client-side merger of several metadata contexts whose extents have
// different lengths. Merging then splitting must give every context back (over the range
// all of them cover); merged extents tile that range.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "model/semantics/projections/nbd_contexts.hpp"

using namespace chaincheck::model;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider p(data, size);
  u64 start = p.ConsumeIntegralInRange<u64>(0, 1 << 20);
  int contexts = p.ConsumeIntegralInRange(1, 4);
  std::vector<std::vector<NbdExtent>> lists;
  u64 common_end = UINT64_MAX;
  for (int c = 0; c < contexts; ++c) {
    std::vector<NbdExtent> l;
    u64 pos = start;
    int n = p.ConsumeIntegralInRange(1, 24);
    for (int i = 0; i < n; ++i) {
      u64 len = p.ConsumeIntegralInRange<u64>(1, 1 << 16);
      l.push_back({pos, len, p.ConsumeIntegralInRange<std::uint32_t>(0, 3)});
      pos += len;
    }
    common_end = std::min(common_end, pos);
    lists.push_back(merge_equal(l));
  }
  auto merged = merge_contexts(lists);
  u64 pos = start;
  for (const auto& m : merged) {
    check(m.start == pos && m.length > 0 && m.values.size() == lists.size());
    pos += m.length;
  }
  check(pos == common_end);
  for (std::size_t c = 0; c < lists.size(); ++c) {
    // The context clipped to the common range.
    std::vector<NbdExtent> clipped;
    for (auto e : lists[c]) {
      if (e.start >= common_end) break;
      e.length = std::min(e.end(), common_end) - e.start;
      clipped.push_back(e);
    }
    check(split_context(merged, c) == merge_equal(clipped));
  }
  return 0;
}
