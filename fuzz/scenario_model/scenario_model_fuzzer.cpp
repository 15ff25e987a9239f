// Scenario -> model: bytes become a scenario through the shared generator, the model runs
// it and its own invariants must hold (extents tile, ZERO reads zero, projections agree).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "fuzz/fdp_chooser.hpp"
#include "model/scenario/model_system.hpp"

using namespace chaincheck::model;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider p(data, size);
  chaincheck::fuzz::FdpChooser c(p);
  GeneratorConfig cfg;
  cfg.max_image_size = 1 << 20;
  Scenario s = generate_scenario(c, cfg);
  ModelSystem m;
  m.run(s);
  const ModelState& st = m.state();
  Graph g = build_graph(st, s.export_spec->graph);
  u64 len = node_length(st, g, g.root);
  u64 pos = 0;
  unsigned layers = static_cast<unsigned>(cow_layers(g, g.root).size());
  for (const auto& e : status_extents(st, g, g.root, 0, len)) {
    if (e.start != pos || e.status.pnum == 0) std::abort();
    if (e.status.depth > layers) std::abort();
    if ((e.status.flags & kZero) && !reads_as_zero(st, g, g.root, e.start, e.status.pnum)) std::abort();
    pos = e.end();
  }
  if (pos != len) std::abort();
  return 0;
}
