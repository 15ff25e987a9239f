// chaincheck bench: speeds that matter, measured side by side in one run (ratios, not
// absolute times, are the goals): persistent libnbd queries vs spawning qemu-img map per
// query; judged comparisons (query + model + oracle) vs raw queries; scenarios/s.
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "impl/nbd/nbd_client.hpp"
#include "impl/process/process.hpp"
#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "model/scenario/model_system.hpp"
#include "oracle/campaign.hpp"
#include "cli/commands.hpp"
#include "oracle/judge.hpp"

namespace chaincheck::cli {

using namespace chaincheck::model;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A 64 MiB qcow2 over a raw base with scattered data, zero clusters and holes.
Scenario bench_scenario() {
  Scenario s;
  CreateOptions base{.name = "base.raw", .format = ImageFormat::Raw, .size = 64 << 20};
  CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "base.raw";
  top.backing_format = ImageFormat::Raw;
  s.steps = {CreateStep{base}, CreateStep{top}};
  std::mt19937_64 rng(7);
  for (int i = 0; i < 24; ++i) {
    u64 off = (rng() % 1024) * 65536;
    bool on_base = i % 3 == 0;
    GuestOp op{i % 4 == 1 ? OpKind::WriteZeroes : OpKind::Write, off, 65536 * (1 + rng() % 4),
               static_cast<std::uint8_t>(1 + i), false};
    op.length = std::min<u64>(op.length, (64 << 20) - off);
    s.steps.push_back(IoStep{GraphSpec::of_image(on_base ? "base.raw" : "top.qcow2"), op});
  }
  s.export_spec = ExportSpec{GraphSpec::of_image("top.qcow2")};
  s.queries = {Query::BaseAllocation, Query::AllocationDepth};
  return s;
}

}  // namespace

int cmd_bench(double seconds) {
  impl::install_interrupt_cleanup();
  Scenario s = bench_scenario();
  impl::Workspace ws;
  std::map<std::string, ImageFormat> formats;
  for (const auto& e : impl::realize_steps(s, ws, formats))
    if (!e.empty()) {
      std::fprintf(stderr, "chaincheck bench: could not build the image: %s\n", e.c_str());
      return 2;
    }
  ModelSystem model;
  s.host = impl::measure_host_fs();
  model.run(s);
  const ModelState& state = model.state();
  Graph g = build_graph(state, s.export_spec->graph);
  const u64 size = node_length(state, g, g.root);
  const u64 window = 4 << 20;
  std::mt19937_64 rng(1);
  auto random_offset = [&] { return (rng() % (size / window)) * window; };

  impl::QemuNbdOptions opts;
  opts.read_only = true;
  opts.allocation_depth = true;
  opts.working_dir = ws.path();
  impl::QemuNbdServer server(impl::QemuNbdImage::file("top.qcow2", "qcow2"), opts);
  impl::NbdClient client;
  client.request_meta_context("base:allocation");
  client.request_meta_context("qemu:allocation-depth");
  client.connect_unix(server.socket());

  // 1. Raw block-status queries through the persistent session.
  std::uint64_t raw = 0;
  auto t0 = Clock::now();
  while (seconds_since(t0) < seconds) {
    client.block_status_full(random_offset(), window);
    ++raw;
  }
  double raw_rate = raw / seconds_since(t0);

  // 2. The same question by spawning qemu-img map per query.
  impl::QemuImg img(ws.path());
  std::uint64_t spawned = 0;
  t0 = Clock::now();
  while (seconds_since(t0) < seconds) {
    img.map(impl::ImageRef::file("top.qcow2", "qcow2"), impl::MapRange{random_offset(), window});
    ++spawned;
  }
  double spawn_rate = spawned / seconds_since(t0);

  // 3. Judged comparisons: query + the model's prediction + the oracle.
  std::uint64_t judged = 0, findings = 0;
  oracle::JudgeContext ctx{"top.qcow2 > base.raw", 2, "bench"};
  t0 = Clock::now();
  while (seconds_since(t0) < seconds) {
    u64 off = random_offset();
    impl::BlockStatusObservation b = client.block_status_full(off, window);
    Observation observed, predicted;
    observed.nbd = NbdObservation{};
    predicted.nbd = NbdObservation{};
    observed.nbd->export_size = predicted.nbd->export_size = size;
    for (const auto& r : b.replies) {
      ContextReply m{r.context, r.offset, window, {}};
      u64 pos = r.offset;
      for (const auto& e : r.extents) {
        // Only the queried window is compared (the server may run past it).
        u64 len = std::min(e.length, off + window - std::min(pos, off + window));
        if (len) m.extents.push_back({pos, len, e.flags});
        pos += e.length;
      }
      observed.nbd->replies.push_back(std::move(m));
    }
    for (NbdContext c : {NbdContext::BaseAllocation, NbdContext::AllocationDepth})
      predicted.nbd->replies.push_back({to_string(c), off, window, nbd_extents(state, g, c, off, window)});
    findings += oracle::judge(predicted, observed, ctx).findings.size();
    ++judged;
  }
  double judged_rate = judged / seconds_since(t0);
  client.disconnect();
  server.stop();

  // 4. Random 10-operation scenarios through model + oracle (model as the system), 2 threads.
  GeneratorConfig cfg;
  cfg.max_layers = 2;
  cfg.max_ops_per_layer = 5;
  std::atomic<std::uint64_t> scenarios{0};
  t0 = Clock::now();
  auto worker = [&](std::uint64_t seed) {
    ModelSystem sut;
    for (std::uint64_t i = 0; seconds_since(t0) < seconds; ++i) {
      RandomChooser c(oracle::scenario_seed(seed, i));
      oracle::judge_scenario(generate_scenario(c, cfg), sut);
      ++scenarios;
    }
  };
  std::thread other(worker, 2);
  worker(1);
  other.join();
  double scenario_rate = scenarios / seconds_since(t0);

  std::printf("block-status queries/s, persistent libnbd session:        %10.1f\n", raw_rate);
  std::printf("block-status queries/s, spawning qemu-img map per query:  %10.1f\n", spawn_rate);
  std::printf("  ratio: %.1fx (goal >= 30x)\n", raw_rate / spawn_rate);
  std::printf("judged comparisons/s (query + model + oracle):            %10.1f\n", judged_rate);
  std::printf("  %.0f%% of the raw query rate (goal >= 50%%); findings: %llu\n", 100.0 * judged_rate / raw_rate,
              static_cast<unsigned long long>(findings));
  std::printf("random 10-operation scenarios/s, model + oracle, 2 threads: %8.1f (goal >= 100)\n", scenario_rate);
  return 0;
}

}  // namespace chaincheck::cli
