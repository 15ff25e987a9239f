// chaincheck rebuild SCENARIO.json: the chain-rebuild property of seed 004 for one
// scenario. The export's image chain is rebuilt layer by layer from what qemu-nbd reports
// of each layer alone, once from base:allocation alone and once with
// qemu:allocation-depth; each strategy's first differing byte and differing ranges are
// printed, real beside the model's prediction, and judged.
#include <iostream>

#include "cli/commands.hpp"
#include "oracle/rebuild_check.hpp"
#ifdef CHAINCHECK_REAL_REBUILD
#include "impl/rebuild/qemu_rebuilder.hpp"
#include "impl/scenario/qemu_system.hpp"
#endif

namespace chaincheck::cli {

using namespace chaincheck::model;

RebuilderFactory rebuilder_factory(const std::string& system) {
  if (system == "model") return [] { return std::make_unique<ModelRebuilder>(); };
#ifdef CHAINCHECK_REAL_REBUILD
  if (system == "qemu") {
    impl::QemuRebuilder probe;  // names the Debian package of a missing program
    return [] { return std::make_unique<impl::QemuRebuilder>(); };
  }
#endif
  throw std::invalid_argument("no chain rebuilder for system '" + system + "'");
}

namespace {

std::string plan_text(const std::vector<PlanExtent>& plan) {
  std::string s;
  for (const PlanExtent& p : plan)
    s += (s.empty() ? "" : ", ") + std::string(to_string(p.action)) + " " + std::to_string(p.start) + "+" +
         std::to_string(p.length);
  return s.empty() ? "nothing" : s;
}

std::string first_text(const RebuildResult& r) {
  return r.first_wrong() ? std::to_string(*r.first_wrong()) : "none";
}

nlohmann::json result_json(const RebuildResult& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerRebuild& l : r.layers) {
    nlohmann::json plan = nlohmann::json::array();
    for (const PlanExtent& p : l.plan) plan.push_back({{"start", p.start}, {"length", p.length}, {"action", to_string(p.action)}});
    layers.push_back({{"image", l.image}, {"size", l.size}, {"plan", plan}});
  }
  nlohmann::json wrong = nlohmann::json::array();
  for (const ByteRange& w : r.wrong) wrong.push_back({{"start", w.start}, {"length", w.length}});
  nlohmann::json j = {{"strategy", to_string(r.strategy)}, {"layers", layers}, {"wrong", wrong},
                      {"first_wrong", r.first_wrong() ? nlohmann::json(*r.first_wrong()) : nlohmann::json()}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

}  // namespace

int cmd_rebuild(const Scenario& scenario, const RebuildArgs& a) {
  RebuilderFactory factory;
  try {
    factory = rebuilder_factory(a.system);
  } catch (const std::exception& e) {
    std::cerr << "chaincheck rebuild: " << e.what() << "\n";
    return 2;
  }
  if (a.extended_l2 && a.cluster_size < 16384) {
    std::cerr << "chaincheck rebuild: --extended-l2 needs --cluster-size of at least 16384\n";
    return 2;
  }
  RebuildTarget target;
  target.cluster_bits = static_cast<unsigned>(__builtin_ctzll(a.cluster_size));
  target.extended_l2 = a.extended_l2;
  target.no_hole = a.no_hole;
  target.discard_unmap = a.discard_unmap;
  Scenario s = scenario;
#ifdef CHAINCHECK_REAL_REBUILD
  if (a.system == "qemu") s.host = impl::measure_host_fs();
#endif
  auto real = factory();
  oracle::RebuildCheck c = oracle::check_rebuild(s, *real, target);
  for (const std::string* err : {&c.predicted.error, &c.observed.error})
    if (!err->empty()) {
      std::cerr << "chaincheck rebuild: " << *err << "\n";
      return 2;
    }
  if (a.json) {
    nlohmann::json out = {{"chain", c.observed.chain}, {"system", real->name()},
                          {"strategies", nlohmann::json::array()}, {"findings", nlohmann::json::array()}};
    for (std::size_t i = 0; i < c.observed.results.size(); ++i)
      out["strategies"].push_back({{"real", result_json(c.observed.results[i])},
                                   {"model", result_json(c.predicted.results.at(i))}});
    for (const auto& f : c.findings) out["findings"].push_back(oracle::to_json(f));
    std::cout << out.dump(2) << "\n";
    return c.findings.empty() ? 0 : 1;
  }
  std::cout << "chain (bottom to top):";
  for (const auto& n : c.observed.chain) std::cout << " " << n;
  std::cout << "\nrebuilt into: " << describe(target) << "\n";
  for (std::size_t i = 0; i < c.observed.results.size(); ++i) {
    const RebuildResult& o = c.observed.results[i];
    const RebuildResult& p = c.predicted.results.at(i);
    std::cout << "strategy " << to_string(o.strategy)
              << (o.strategy == RebuildStrategy::BaseAllocation ? " (base:allocation alone, as ovirt-imageio did)"
                                                                : " (base:allocation + qemu:allocation-depth)")
              << ":\n";
    if (!o.error.empty()) std::cout << "  " << real->name() << " could not rebuild: " << o.error << "\n";
    if (!p.error.empty()) std::cout << "  model could not rebuild: " << p.error << "\n";
    for (std::size_t l = 0; l < o.layers.size(); ++l) {
      std::cout << "  layer " << o.layers[l].image << ": " << plan_text(o.layers[l].plan) << "\n";
      if (l < p.layers.size() && p.layers[l].plan != o.layers[l].plan)
        std::cout << "    model's plan: " << plan_text(p.layers[l].plan) << "\n";
    }
    std::cout << "  first differing byte: " << real->name() << " " << first_text(o) << ", model " << first_text(p) << "\n"
              << "  differing ranges: " << real->name() << " " << describe(o.wrong) << ", model " << describe(p.wrong)
              << "\n";
  }
  for (const auto& f : c.findings)
    std::cout << oracle::describe(f) << "\n    expected: " << f.expected << "\n    observed: " << f.observed << "\n";
  if (c.findings.empty()) std::cout << "clean: the real rebuild differs exactly where the model predicts\n";
  return c.findings.empty() ? 0 : 1;
}

}  // namespace chaincheck::cli
