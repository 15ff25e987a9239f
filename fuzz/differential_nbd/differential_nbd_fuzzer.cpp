// Differential fuzzing against a live qemu-nbd: bytes become a short sequence of guest
// operations (write, write-zeroes with and without NO_HOLE, trim) and block-status queries
// (both contexts, with and without REQ_ONE) at offsets biased to cluster, subcluster and
// window-end boundaries. Each is applied to the model and to one fresh window of a shared
// writable export (windowed_chain.hpp), and every query's replies are judged: NBD-spec
// checks on the raw replies, then the oracle (content, model divergence) on the window.
// A finding that the known-findings registry (corpus/findings) does not explain aborts.
#include <fuzzer/FuzzedDataProvider.h>
#include <libnbd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>

#include "fuzz/differential_nbd/windowed_chain.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "model/semantics/chain.hpp"
#include "oracle/judge.hpp"
#include "oracle/registry.hpp"

using namespace chaincheck;
using chaincheck::fuzz::kWindow;
using model::u64;

namespace {

constexpr unsigned kMaxSteps = 16;
const char* kGraph = "top.qcow2 > base.qcow2";

// Everything that lives across inputs. Created on the first input, destroyed at exit (and
// before an abort, so no qemu-nbd or workspace outlives a finding).
struct Harness {
  model::Scenario scenario;
  model::ModelState initial;
  oracle::Registry registry;
  fuzz::WindowedChain live;
  // Test-only: CHAINCHECK_DIFF_FAULT=zero_hides_hole makes the model's base:allocation
  // wrong (ZERO without HOLE), so a test can prove a divergence aborts the fuzzer.
  bool fault_zero_hides_hole = std::getenv("CHAINCHECK_DIFF_FAULT") &&
                               std::string(std::getenv("CHAINCHECK_DIFF_FAULT")) == "zero_hides_hole";

  Harness()
      : scenario(fuzz::window_scenario(impl::measure_host_fs())),
        initial(fuzz::window_model(scenario)),
        registry(oracle::Registry::load(oracle::default_registry_dir())) {}
};

std::unique_ptr<Harness>& harness_slot() {
  static std::unique_ptr<Harness> h;
  return h;
}

Harness& harness() {
  auto& h = harness_slot();
  if (!h) {
    impl::install_interrupt_cleanup();
    h = std::make_unique<Harness>();
    std::atexit([] { harness_slot().reset(); });
  }
  return *h;
}

// What one input did, as lines a person can replay (window-relative; the window's offset
// is printed with them).
struct Trace {
  u64 window = 0;
  std::vector<std::string> lines;
};

[[noreturn]] void fail(const Trace& t, const std::string& what) {
  std::fprintf(stderr, "differential_nbd: NEW FINDING in window at %llu (window-relative offsets below)\n",
               static_cast<unsigned long long>(t.window));
  for (const auto& l : t.lines) std::fprintf(stderr, "  %s\n", l.c_str());
  std::fprintf(stderr, "%s\n", what.c_str());
  harness_slot().reset();  // reap qemu-nbd and remove the workspace before dying
  std::abort();
}

// Offsets biased to overlay/base cluster and subcluster boundaries (or any byte).
u64 pick_offset(FuzzedDataProvider& p) {
  static constexpr u64 kUnits[] = {u64{1} << fuzz::kTopClusterBits, u64{1} << fuzz::kBaseClusterBits, 1024, 512, 1};
  u64 unit = kUnits[p.ConsumeIntegralInRange<std::size_t>(0, 4)];
  u64 off = p.ConsumeIntegralInRange<u64>(0, (kWindow - 1) / unit) * unit;
  if (unit > 1 && p.ConsumeIntegralInRange(0, 7) == 0) off = off ? off - 1 : 1;  // one byte before a boundary
  return off;
}
// Lengths: up to the window's end, or a few units.
u64 pick_length(FuzzedDataProvider& p, u64 off) {
  static constexpr u64 kUnits[] = {u64{1} << fuzz::kTopClusterBits, u64{1} << fuzz::kBaseClusterBits, 1024, 512, 1};
  if (p.ConsumeIntegralInRange(0, 3) == 0) return kWindow - off;
  u64 unit = kUnits[p.ConsumeIntegralInRange<std::size_t>(0, 4)];
  u64 len = p.ConsumeIntegralInRange<u64>(1, 4) * unit + (p.ConsumeBool() ? 0 : p.ConsumeIntegralInRange<u64>(0, 3));
  return std::min(len, kWindow - off);
}

std::vector<model::ContextReply> window_replies(const std::vector<model::ContextReply>& abs, u64 window, u64 off,
                                                u64 len) {
  // Shift to window offsets and clip to the query: a reply may describe bytes past the
  // request (the spec allows the last extent to run on), which belong to another window.
  std::vector<model::ContextReply> out;
  for (const auto& r : abs) {
    model::ContextReply w{r.context, off, len, {}};
    for (const auto& e : r.extents) {
      u64 s = std::max(e.start - window, off), end = std::min(e.start - window + e.length, off + len);
      if (e.start + e.length <= window || s >= end) continue;
      w.extents.push_back({s, end - s, e.value});
    }
    out.push_back(std::move(w));
  }
  return out;
}

// The bytes as runs of equal bytes starting at `start`. Fast path: when the bytes are
// exactly the model's runs (the common case), those runs, checked with memcmp against a
// buffer of each run's value; a byte-by-byte scan only when they differ.
std::vector<model::Extent<std::uint8_t>> runs_of(const std::vector<std::uint8_t>& bytes, u64 start,
                                                 const std::vector<model::Extent<std::uint8_t>>& expected) {
  static std::vector<std::uint8_t> fill(kWindow);
  bool same = !expected.empty() && expected.front().start == start;
  u64 pos = start;
  for (const auto& r : expected) {
    if (!same) break;
    if (r.start != pos || r.end() - start > bytes.size()) same = false;
    else {
      std::memset(fill.data(), r.value, r.length);
      same = std::memcmp(bytes.data() + (r.start - start), fill.data(), r.length) == 0;
    }
    pos = r.end();
  }
  if (same && pos - start == bytes.size()) return expected;
  std::vector<model::Extent<std::uint8_t>> runs;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (!runs.empty() && runs.back().value == bytes[i]) runs.back().length++;
    else runs.push_back({start + i, 1, bytes[i]});
  }
  return runs;
}

// One block-status request over [off, off+len) of the window, judged.
void check_query(Harness& h, const model::ModelState& st, const model::Graph& g, const Trace& t, u64 off, u64 len,
                 std::uint32_t flags) {
  impl::NbdClient& c = h.live.client();
  impl::BlockStatusObservation b = c.block_status(t.window + off, len, flags);
  if (!b.error.empty()) fail(t, "block status failed: " + b.error);
  model::NbdObservation raw;
  raw.export_size = h.live.export_size();
  raw.block_size = h.live.block_size();
  raw.contexts = c.negotiated_contexts();
  raw.replies = impl::to_model(b, len);
  oracle::JudgeContext ctx{kGraph, 2, "differential_nbd"};
  std::vector<oracle::Finding> findings = oracle::spec_findings(raw, ctx);
  for (const auto& r : raw.replies)
    if (r.extents.empty()) fail(t, "a reply for " + r.context + " has no extent");

  model::Observation predicted, observed;
  predicted.nbd = model::NbdObservation{kWindow, raw.block_size, raw.contexts, {}, ""};
  for (model::NbdContext cx : {model::NbdContext::BaseAllocation, model::NbdContext::AllocationDepth})
    predicted.nbd->replies.push_back(
        {model::to_string(cx), off, len, model::nbd_extents(st, g, cx, off, len, raw.block_size.minimum)});
  if (h.fault_zero_hides_hole)
    for (auto& e : predicted.nbd->replies[0].extents)
      if (e.value & model::kNbdZero) e.value &= ~model::kNbdHole;
  predicted.content = model::content(st, g, g.root, off, len);
  observed.nbd = model::NbdObservation{kWindow, raw.block_size, raw.contexts, window_replies(raw.replies, t.window, off, len), ""};
  observed.content = runs_of(c.pread(t.window + off, len), off, *predicted.content);
  for (auto& f : oracle::judge(predicted, observed, ctx).findings) findings.push_back(std::move(f));
  if (findings.empty()) return;
  h.registry.classify(findings);
  std::ostringstream os;
  bool fresh = false;
  for (const auto& f : findings) {
    if (f.known) continue;
    fresh = true;
    os << oracle::describe(f) << "\n    expected: " << f.expected << "\n    observed: " << f.observed << "\n";
  }
  if (fresh) fail(t, os.str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = harness();
  FuzzedDataProvider p(data, size);
  Trace t;
  t.window = h.live.fresh_window();
  model::ModelState st = h.initial;
  model::Graph g = model::build_graph(st, h.scenario.export_spec->graph);
  impl::NbdClient& c = h.live.client();
  auto apply = [&](const model::GuestOp& op, const std::function<void()>& live) {
    auto refused = model::apply(st, g, op, model::OpenOptions{true});
    std::string err;
    try {
      live();
    } catch (const impl::NbdError& e) {
      err = e.what();
    }
    if (refused.has_value() != !err.empty())
      fail(t, "model " + (refused ? "refuses: " + refused->message : std::string("accepts")) + "; qemu-nbd " +
                  (err.empty() ? std::string("accepts") : "refuses: " + err));
  };
  for (unsigned step = 0; step < kMaxSteps && p.remaining_bytes() > 0; ++step) {
    int kind = p.ConsumeIntegralInRange(0, 5);
    u64 off = pick_offset(p), len = pick_length(p, off);
    std::string at = std::to_string(off) + " " + std::to_string(len);
    switch (kind) {
      case 0: {
        auto pattern = p.ConsumeIntegral<std::uint8_t>();
        t.lines.push_back("write -P " + std::to_string(pattern) + " " + at);
        static std::vector<std::uint8_t> buf;  // reused: no large allocation per write
        apply({model::OpKind::Write, off, len, pattern, false}, [&] {
          buf.assign(len, pattern);
          c.pwrite(t.window + off, buf);
        });
        break;
      }
      case 1:  // NO_HOLE: the server must not unmap (nbd/server.c: no BDRV_REQ_MAY_UNMAP)
        t.lines.push_back("write -z " + at + "   # NBD_CMD_WRITE_ZEROES, NO_HOLE");
        apply({model::OpKind::WriteZeroes, off, len, 0, false},
              [&] { c.zero(t.window + off, len, LIBNBD_CMD_FLAG_NO_HOLE); });
        break;
      case 2:
        t.lines.push_back("write -z -u " + at + "   # NBD_CMD_WRITE_ZEROES");
        apply({model::OpKind::WriteZeroes, off, len, 0, true}, [&] { c.zero(t.window + off, len, 0); });
        break;
      case 3:
        t.lines.push_back("discard " + at + "   # NBD_CMD_TRIM");
        apply({model::OpKind::Discard, off, len, 0, false}, [&] { c.trim(t.window + off, len, 0); });
        break;
      default: {
        bool one = kind == 5;
        t.lines.push_back("# block status " + at + (one ? " REQ_ONE" : ""));
        check_query(h, st, g, t, off, len, one ? LIBNBD_CMD_FLAG_REQ_ONE : 0);
      }
    }
  }
  t.lines.push_back("# block status of the whole window");
  check_query(h, st, g, t, 0, kWindow, 0);
  return 0;
}
