#include <fstream>
#include <iostream>
#include <sstream>

#include "impl/process/process.hpp"
#include "oracle/cli/commands.hpp"
#include "oracle/repro.hpp"

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
