// Fuzz target 5: the oracle's NBD-spec checks on arbitrary extent lists and block sizes.
// Cross-checks each rule against a direct restatement of the spec.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "oracle/nbd_spec.hpp"

using namespace chaincheck;
using chaincheck::oracle::u64;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider p(data, size);
  model::ContextReply r;
  const char* contexts[] = {"base:allocation", "qemu:allocation-depth", "qemu:dirty-bitmap:b0"};
  r.context = contexts[p.ConsumeIntegralInRange(0, 2)];
  oracle::ReplyLimits lim;
  lim.min_block = u64{1} << p.ConsumeIntegralInRange(0, 16);
  lim.export_size = p.ConsumeIntegralInRange<u64>(0, 1 << 24);
  lim.max_depth = p.ConsumeIntegralInRange(0u, 4u);
  r.offset = p.ConsumeIntegralInRange<u64>(0, lim.export_size);
  u64 pos = r.offset;
  int n = p.ConsumeIntegralInRange(0, 32);
  std::size_t expect_zero_len = 0;
  for (int i = 0; i < n; ++i) {
    u64 len = p.ConsumeBool() ? p.ConsumeIntegralInRange<u64>(0, 4) * lim.min_block
                              : p.ConsumeIntegralInRange<u64>(0, 1 << 20);
    std::uint32_t v = p.ConsumeIntegral<std::uint32_t>();
    r.extents.push_back({pos, len, v});
    expect_zero_len += len == 0;
    pos += len;
  }
  auto findings = oracle::check_block_status_reply(r, lim);
  std::size_t zero_len = 0;
  for (const auto& f : findings) {
    if (f.cls != oracle::FindingClass::NbdSpec) std::abort();
    zero_len += f.rule == "zero-length-extent";
  }
  if (zero_len != expect_zero_len) std::abort();
  if (r.extents.empty() && (findings.size() != 1 || findings[0].rule != "empty-reply")) std::abort();
  // A reply of min-block multiples within the export, with defined flags, is clean.
  bool compliant = !r.extents.empty();
  for (const auto& e : r.extents) {
    compliant &= e.length > 0 && e.length % lim.min_block == 0 && e.end() <= lim.export_size;
    if (r.context == "base:allocation") compliant &= (e.value & ~3u) == 0;
    if (r.context == "qemu:dirty-bitmap:b0") compliant &= (e.value & ~1u) == 0;
    if (r.context == "qemu:allocation-depth") compliant &= !lim.max_depth || e.value <= lim.max_depth;
  }
  if (compliant && !findings.empty()) std::abort();
  return 0;
}
