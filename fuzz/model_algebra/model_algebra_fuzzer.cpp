// Fuzz target 1: the model's extent algebra. ExtentMap against a byte array, and the
// sticky rounding laws on arbitrary status extents. Aborts on any violated law.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "model/semantics/extent_map.hpp"
#include "model/semantics/rounding.hpp"

using namespace chaincheck::model;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Buffers reused across inputs: allocations, not the laws, were most of each run under ASan
// (every malloc records a stack and takes fresh, quarantined memory). Each input resets them.
struct Scratch {
  ExtentMap<std::uint8_t> m;
  std::vector<std::uint8_t> a, expanded;
  std::vector<StatusExtent> precise, rounded;
};
Scratch& scratch() {
  static Scratch s;
  return s;
}

void extent_map_vs_array(FuzzedDataProvider& p) {
  u64 size = p.ConsumeIntegralInRange<u64>(1, 256);
  Scratch& sc = scratch();
  ExtentMap<std::uint8_t>& m = sc.m;
  m.reset(size, 0);
  std::vector<std::uint8_t>& a = sc.a;
  a.assign(size, 0);
  int ops = p.ConsumeIntegralInRange(0, 32);
  for (int i = 0; i < ops && p.remaining_bytes(); ++i) {
    if (p.ConsumeIntegralInRange(0, 9) == 0) {
      u64 n = p.ConsumeIntegralInRange<u64>(0, 256);
      std::uint8_t fill = p.ConsumeIntegral<std::uint8_t>() & 3;
      m.resize(n, fill);
      a.resize(n, fill);
      size = n;
      continue;
    }
    if (size == 0) continue;
    u64 off = p.ConsumeIntegralInRange<u64>(0, size - 1);
    u64 len = p.ConsumeIntegralInRange<u64>(0, size - off);
    std::uint8_t v = p.ConsumeIntegral<std::uint8_t>() & 3;
    m.assign(off, len, v);
    // std::fill, not a byte loop: libFuzzer traces every compare of an instrumented loop,
    // and byte loops over the reference array were most of this target's time.
    std::fill(a.begin() + static_cast<std::ptrdiff_t>(off), a.begin() + static_cast<std::ptrdiff_t>(off + len), v);
  }
  check(m.size() == a.size());
  u64 pos = 0;
  std::uint8_t prev = 0;
  bool first = true;
  // The map's bytes, expanded run by run, must equal the reference array byte for byte.
  std::vector<std::uint8_t>& expanded = sc.expanded;
  expanded.assign(a.size(), 0);
  m.for_each(0, m.size(), [&](const Extent<std::uint8_t>& e) {
    check(e.start == pos && e.length > 0 && e.end() <= a.size());
    check(first || e.value != prev);  // canonical: neighbours differ
    std::fill(expanded.begin() + static_cast<std::ptrdiff_t>(e.start),
              expanded.begin() + static_cast<std::ptrdiff_t>(e.end()), e.value);
    prev = e.value;
    first = false;
    pos = e.end();
  });
  check(pos == a.size());
  check(expanded == a);
  if (!a.empty()) {
    u64 q = p.ConsumeIntegralInRange<u64>(0, a.size() - 1);
    auto e = m.at(q);
    check(e.start <= q && q < e.end() && e.value == a[q]);
  }
}

void rounding_laws(FuzzedDataProvider& p) {
  std::vector<StatusExtent>& precise = scratch().precise;
  precise.clear();
  u64 align = u64{1} << p.ConsumeIntegralInRange(0, 14);
  u64 pos = p.ConsumeIntegralInRange<u64>(0, 1 << 16);
  u64 start = pos;
  int n = p.ConsumeIntegralInRange(1, 24);
  for (int i = 0; i < n; ++i) {
    StatusExtent e;
    e.start = pos;
    e.status.pnum = p.ConsumeIntegralInRange<u64>(1, 4 * align);  // a few blocks each
    e.status.flags = p.ConsumeIntegral<std::uint32_t>() & (kData | kZero | kOffsetValid | kAllocated);
    e.status.depth = p.ConsumeIntegralInRange(0u, 4u);
    e.status.host_offset = p.ConsumeIntegral<std::uint32_t>();
    e.status.image = p.ConsumeIntegralInRange(-1, 2);
    precise.push_back(e);
    pos += e.status.pnum;
  }
  u64 end = pos;
  std::vector<StatusExtent>& rounded = scratch().rounded;
  round_sticky(precise, align, end, rounded);
  u64 at = round_down(start, align);
  std::size_t first = 0;  // first precise extent that ends after the current block
  for (const auto& r : rounded) {
    check(r.status.pnum > 0);
    check(r.start == at);
    check(r.start % align == 0);
    check(r.end() % align == 0 || r.end() == end);
    for (u64 blk = r.start; blk < r.end(); blk += align) {
      u64 be = std::min(blk + align, end);
      bool any_data = false, all_zero = true;
      // The precise extents tile [start, end) in order: those overlapping the block are
      // the few from `first` on (blocks only move forward), not all of them.
      while (first < precise.size() && precise[first].end() <= blk) ++first;
      for (std::size_t k = first; k < precise.size() && precise[k].start < be; ++k) {
        any_data |= (precise[k].status.flags & kData) != 0;
        all_zero &= (precise[k].status.flags & kZero) != 0;
      }
      check(((r.status.flags & kData) != 0) == any_data);
      check(((r.status.flags & kZero) != 0) == all_zero);
    }
    at = r.end();
  }
  check(at == end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider p(data, size);
  if (p.ConsumeBool()) extent_map_vs_array(p);
  else rounding_laws(p);
  return 0;
}
