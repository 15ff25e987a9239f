// chaincheck: thin glue over model/, impl/ and oracle/.
//   campaign  differential campaign against the installed QEMU (./run campaign)
//   run       one scenario JSON: model vs system, judged
//   predict   the model's answers for a scenario JSON
//   repro     replay a bug report's shell transcript and say what in it is wrong
//   rebuild   seed 004's chain rebuild for one scenario JSON, both strategies, judged
// Exit status: 0 clean, 1 findings, 2 bad input or environment.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "model/semantics/projections/qemu_img_map.hpp"
#include "model/scenario/scenario_json.hpp"
#include "oracle/campaign.hpp"
#include "cli/commands.hpp"
#include "cli/systems.hpp"
#include "oracle/report.hpp"

using namespace chaincheck;

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_interrupt(int sig) {
  if (g_stop.exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

[[noreturn]] void bad_input(const std::string& what) {
  std::cerr << "chaincheck: " << what << "\n";
  std::exit(2);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad_input("cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

model::Scenario load_scenario(const std::string& path) {
  try {
    return model::scenario_from_text(read_text(path));
  } catch (const model::ScenarioError& e) {
    bad_input(path + ": " + e.what());
  }
}

oracle::Registry load_registry(const std::string& dir) {
  try {
    return oracle::Registry::load(dir);
  } catch (const std::invalid_argument& e) {
    bad_input(e.what());
  }
}

int cmd_campaign(const cli::CampaignArgs& a) {
  oracle::CampaignOptions o;
  o.seed = a.seed;
  if (a.count) o.count = a.count;
  if (a.seconds > 0) o.seconds = a.seconds;
  if (!a.count && a.seconds <= 0) o.seconds = 180;  // the default: a useful few minutes
  o.jobs = a.jobs;
  o.minimize = !a.no_minimize;
  o.generator.max_layers = a.max_layers;
  for (const auto& f : a.faults) {
    if (f == "filters-add-depth") o.model_faults.filters_add_depth = true;
    else if (f == "zero-hides-hole") o.model_faults.zero_hides_hole = true;
    else bad_input("--inject-model-fault: unknown fault '" + f + "'");
  }
  oracle::SystemFactory factory;
  try {
    factory = cli::system_factory(a.system);
  } catch (const std::exception& e) {
    bad_input(e.what());  // unknown system, or a program missing (names the Debian package)
  }
  if (a.rebuild) {
    try {
      o.make_rebuilder = cli::rebuilder_factory(a.system);
    } catch (const std::exception& e) {
      bad_input(std::string("--rebuild: ") + e.what());
    }
  }
  o.nbdkit_second_server = a.second_server == "nbdkit";
  oracle::Registry registry = load_registry(a.registry);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::cerr << "chaincheck campaign: seed " << o.seed << ", system " << a.system << ", " << o.jobs << " job(s), "
            << (o.count ? std::to_string(*o.count) + " scenarios" : std::to_string(static_cast<int>(*o.seconds)) + " s")
            << "\n";
  double last_print = -1;
  auto progress = [&](const oracle::CampaignProgress& p) {
    if (p.seconds - last_print < 1.0) return;  // one line a second is enough
    last_print = p.seconds;
    std::fprintf(stderr, "\r%llu scenarios, %.1f/s, findings new %u known %u, not run %llu   ",
                 static_cast<unsigned long long>(p.scenarios), p.seconds > 0 ? p.scenarios / p.seconds : 0.0,
                 p.new_findings, p.known_findings, static_cast<unsigned long long>(p.errors));
  };
  oracle::CampaignSummary s;
  try {
    s = oracle::run_campaign(o, factory, registry, progress, &g_stop);
  } catch (const std::exception& e) {
    std::cerr << "\nchaincheck campaign: " << e.what() << "\n";
    return 2;
  }
  std::cerr << "\n";
  oracle::write_report(s, a.out);
  std::cout << oracle::summary_markdown(s) << "\nreport: " << a.out << "/index.html (summary.json, summary.md, findings/)\n";
  if (g_stop) std::cout << "interrupted: the report covers the scenarios run so far\n";
  if (s.progress.scenarios > 0 && s.progress.errors == s.progress.scenarios) return 2;
  return s.progress.new_findings ? 1 : 0;
}

int cmd_predict(const std::string& path) {
  model::Scenario sc = load_scenario(path);
  model::ModelSystem m;
  model::Observation o = m.run(sc);
  for (std::size_t i = 0; i < sc.steps.size(); ++i)
    std::cout << "step " << i + 1 << ": " << model::describe(sc.steps[i])
              << (o.step_errors[i].empty() ? "" : "  -> refused: " + o.step_errors[i]) << "\n";
  if (!o.error.empty()) bad_input(o.error);
  if (o.img_map) std::cout << "qemu-img map:\n" << model::map_to_json(*o.img_map);
  if (o.io_map) std::cout << "qemu-io map:\n" << model::qemu_io_map_text(*o.io_map);
  if (o.nbd) {
    std::cout << "nbd export: size " << o.nbd->export_size << ", minimum block " << o.nbd->block_size.minimum << "\n";
    for (const auto& r : o.nbd->replies) {
      std::cout << r.context << ":\n";
      for (const auto& e : r.extents) std::printf("%14llu %12llu %4u\n", static_cast<unsigned long long>(e.start),
                                                  static_cast<unsigned long long>(e.length), e.value);
    }
  }
  return 0;
}

int cmd_run(const std::string& path, const std::string& system, const std::string& registry_dir, bool json) {
  model::Scenario sc = load_scenario(path);
  oracle::SystemFactory factory;
  try {
    factory = cli::system_factory(system);
  } catch (const std::exception& e) {
    bad_input(e.what());
  }
  oracle::Registry registry = load_registry(registry_dir);
  auto sys = factory();
  oracle::ScenarioResult r = oracle::judge_scenario(sc, *sys);
  registry.classify(r.verdict.findings);
  if (!r.observed.error.empty()) {
    std::cerr << "chaincheck run: " << r.observed.error << "\n";
    if (r.observed.server_crash.empty()) return 2;  // a crashed server is a finding, below
  }
  nlohmann::json out = {{"findings", nlohmann::json::array()}, {"versions", r.observed.versions}};
  for (const auto& f : r.verdict.findings) {
    out["findings"].push_back(oracle::to_json(f));
    if (!json) std::cout << oracle::describe(f) << "\n    expected: " << f.expected << "\n    observed: " << f.observed << "\n";
  }
  out["verdict"] = r.verdict.findings.empty() ? "clean" : "findings";
  if (json) std::cout << out.dump(2) << "\n";
  else if (r.verdict.findings.empty()) std::cout << "clean: the system agrees with the model\n";
  return r.verdict.findings.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"chaincheck: block-status semantics of the qcow2/NBD stack, checked against the real tools"};
  app.require_subcommand(1);
  std::string registry = oracle::default_registry_dir().string();
  app.add_option("--registry", registry, "known-findings registry folder")->capture_default_str();

  cli::CampaignArgs ca;
  auto* campaign = app.add_subcommand("campaign", "differential campaign of random scenarios");
  campaign->add_option("--seed", ca.seed, "campaign seed (every record carries it)")->capture_default_str();
  campaign->add_option("--count", ca.count, "stop after this many scenarios");
  campaign->add_option("--time", ca.seconds, "stop after this many seconds (default 180 when no --count)");
  campaign->add_option("-j,--jobs", ca.jobs, "parallel workers")->capture_default_str()->check(CLI::Range(1, 64));
  campaign->add_option("--out", ca.out, "report folder")->capture_default_str();
  campaign->add_option("--system", ca.system, "system under test: " + CLI::detail::join(cli::system_names()))->capture_default_str();
  campaign->add_option("--max-layers", ca.max_layers, "layers per chain (1-4)")->capture_default_str()->check(CLI::Range(1, 4));
  campaign->add_flag("--no-minimize", ca.no_minimize, "keep findings as found");
  campaign->add_flag("--rebuild", ca.rebuild, "also rebuild every chain of 2+ layers from its NBD extents (seed 004)");
  campaign->add_option("--second-server", ca.second_server,
                       "also serve every export through this server and judge it: nbdkit (nbd plugin + blocksize filter)")
      ->check(CLI::IsMember({"nbdkit"}));
  campaign->add_option("--inject-model-fault", ca.faults, "test only: make the model deliberately wrong")->group("");

  std::string scenario_path, run_system = cli::system_names().back();
  bool json = false;
  auto* run = app.add_subcommand("run", "run one scenario (JSON) against a system and judge it");
  run->add_option("scenario", scenario_path, "scenario JSON file")->required();
  run->add_option("--system", run_system, "system under test")->capture_default_str();
  run->add_flag("--json", json, "machine-readable verdict");

  std::string predict_path;
  auto* predict = app.add_subcommand("predict", "the model's answers for a scenario (JSON)");
  predict->add_option("scenario", predict_path, "scenario JSON file")->required();

  cli::ReproArgs ra;
  auto* repro = app.add_subcommand("repro", "replay a bug report's shell transcript against the model and the real tools");
  repro->add_option("transcript", ra.path, "transcript file")->required();
  repro->add_flag("--json", ra.json, "machine-readable report");
  repro->add_flag("--normalize", ra.normalize, "filter paths, versions and host offsets (golden output)");

  std::string rebuild_path;
  cli::RebuildArgs rb{cli::system_names().back()};
  auto* rebuild = app.add_subcommand("rebuild", "rebuild the export's chain from NBD extents, both strategies (seed 004)");
  rebuild->add_option("scenario", rebuild_path, "scenario JSON file")->required();
  rebuild->add_option("--system", rb.system, "who rebuilds: model or qemu")->capture_default_str();
  rebuild->add_flag("--json", rb.json, "machine-readable result");
  rebuild->add_option("--cluster-size", rb.cluster_size, "cluster size of the fresh qcow2 images (512..2M, a power of two)")
      ->capture_default_str()
      ->check(CLI::Range(512, 2 * 1024 * 1024) & CLI::Validator([](std::string& v) {
        unsigned long long n = std::stoull(v);
        return (n & (n - 1)) == 0 ? std::string() : std::string("not a power of two: " + v);
      }, "POWER-OF-TWO"));
  rebuild->add_flag("--extended-l2", rb.extended_l2, "fresh images with extended L2 entries (cluster size >= 16k)");
  rebuild->add_flag("--no-hole", rb.no_hole, "send zeroes with NBD_CMD_FLAG_NO_HOLE");
  rebuild->add_flag("--discard-unmap", rb.discard_unmap, "run the writable qemu-nbd with --discard=unmap");

  double bench_seconds = 3;
  auto* bench = app.add_subcommand("bench", "speed ratios measured side by side on the installed QEMU");
  bench->add_option("--seconds", bench_seconds, "seconds per measurement")->capture_default_str()->check(CLI::Range(0.2, 600.0));

  cli::NbdCheckArgs na;
  auto* nbd_check = app.add_subcommand("nbd-check", "block-status conformance table of any NBD server (a libnbd URI)");
  nbd_check->add_option("uri", na.uri, "NBD URI, e.g. nbd+unix:///?socket=/tmp/s or nbd://localhost/export")->required();
  nbd_check->add_flag("--json", na.json, "machine-readable table");
  nbd_check->add_flag("--strict", na.strict, "exit 1 on SHOULD failures too");
  nbd_check->add_option("--max-queries", na.max_queries, "block-status commands in all")->capture_default_str()->check(CLI::Range(16u, 1u << 24));
  nbd_check->add_option("--max-read-bytes", na.max_read_bytes, "bytes read back for ZERO extents in all")->capture_default_str();
  nbd_check->add_option("--max-walk-bytes", na.max_walk_bytes, "walk only this prefix of the export (0: all)")->capture_default_str();
  nbd_check->add_option("--seed", na.seed, "random query offsets/lengths")->capture_default_str();
  nbd_check->add_option("--context", na.contexts, "also ask for this metadata context (repeatable)");

  cli::RoundingArgs rda;
  auto* rounding = app.add_subcommand("rounding", "base:allocation at an alignment: QEMU blkdebug vs nbdkit blocksize vs the model's sticky rounding");
  rounding->add_option("image", rda.image, "image file (the top of a chain)")->required();
  rounding->add_option("--format", rda.format, "image format")->capture_default_str();
  rounding->add_option("--align", rda.align, "alignment (power of 2, 512-65536)")->capture_default_str()->check(CLI::IsMember({512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (ca.system.empty()) ca.system = cli::system_names().back();
  ca.registry = registry;
  if (*campaign) return cmd_campaign(ca);
  if (*run) return cmd_run(scenario_path, run_system, registry, json);
  if (*predict) return cmd_predict(predict_path);
  if (*bench) return cli::cmd_bench(bench_seconds);
  if (*rebuild) return cli::cmd_rebuild(load_scenario(rebuild_path), rb);
  if (*nbd_check) return cli::cmd_nbd_check(na);
  if (*rounding) return cli::cmd_rounding(rda);
  if (*repro) {
    ra.registry = registry;
    return cli::cmd_repro(ra);
  }
  return 2;
}
