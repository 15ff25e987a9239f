#include <fstream>
#include <iostream>
#include <sstream>

#include "impl/process/process.hpp"
#include "cli/commands.hpp"
#include "oracle/transcript_replay.hpp"
#include "oracle/transcript_replay_rebuild.hpp"
#ifdef CHAINCHECK_REAL_REBUILD
#include "impl/rebuild/qemu_rebuilder.hpp"
#include "impl/scenario/qemu_system.hpp"
#endif

namespace chaincheck::cli {

int cmd_repro(const ReproArgs& a) {
  std::ifstream in(a.path, std::ios::binary);
  if (!in) {
    std::cerr << "chaincheck repro: cannot read '" << a.path << "'\n";
    return 2;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    impl::install_interrupt_cleanup();
    auto commands = impl::parse_transcript(ss.str());
    oracle::Registry registry = oracle::Registry::load(a.registry);
    impl::TranscriptRun run = impl::run_transcript(commands);
    oracle::ReproReport report = oracle::judge_transcript(commands, run, registry);
#ifdef CHAINCHECK_REAL_REBUILD
    // Seed 004: layers exported alone (backing: null) are also rebuilt over their chain.
    if (!report.rebuild_requests.empty()) {
      model::HostFs host = impl::measure_host_fs();
      for (auto& req : report.rebuild_requests) req.scenario.host = host;
      impl::QemuRebuilder real;
      oracle::run_rebuild_checks(report, real, registry);
    }
#endif
    if (a.json) std::cout << oracle::render_json(report).dump(2) << "\n";
    else std::cout << oracle::render_text(report, a.normalize);
    return report.findings() ? 1 : 0;
  } catch (const impl::TranscriptError& e) {
    std::cerr << "chaincheck repro: " << a.path << ": " << e.what() << "\n";
    if (a.json) std::cout << nlohmann::json{{"verdict", "error"}, {"error", e.what()}, {"findings", nlohmann::json::array()}}.dump(2) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "chaincheck repro: " << e.what() << "\n";
    if (a.json) std::cout << nlohmann::json{{"verdict", "error"}, {"error", e.what()}, {"findings", nlohmann::json::array()}}.dump(2) << "\n";
    return 2;
  }
}

}  // namespace chaincheck::cli
