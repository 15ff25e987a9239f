#include "model/generate/block_job_generator.hpp"

namespace chaincheck::model {

bool add_job_step(Chooser& c, const std::vector<GeneratedLayer>& layers, Scenario& s) {
  const std::size_t n = layers.size();
  if (n < 2 || layers.back().format != ImageFormat::Qcow2) return false;
  // An active commit of the top into any layer below it (model/semantics/active_commit.cpp).
  if (c.chance(30)) {
    std::vector<std::size_t> bases;
    for (std::size_t i = 0; i + 1 < n; ++i)
      if (layers[i].format == ImageFormat::Raw || layers[i].size >= layers.back().size) bases.push_back(i);
    if (!bases.empty()) {
      std::size_t b = bases[c.range(0, bases.size() - 1)];
      BlockCommitOptions o;
      o.overlay = o.top = layers.back().name;
      if (b != 0 || c.chance(50)) o.base = layers[b].name;  // default: the bottom
      s.steps.push_back(BlockCommitStep{o});
      return true;
    }
  }
  // block-commit needs an intermediate layer: overlay = top, top = layers[1 .. n-2].
  if (n >= 3 && c.chance(50)) {
    std::size_t t = c.range(1, n - 2);
    // A qcow2 base shorter than the committed layer would be grown (not modelled).
    std::vector<std::size_t> bases;
    for (std::size_t i = 0; i < t; ++i)
      if (layers[i].format == ImageFormat::Raw || layers[i].size >= layers[t].size) bases.push_back(i);
    if (bases.empty()) return false;
    std::size_t b = bases[c.range(0, bases.size() - 1)];
    BlockCommitOptions o;
    o.overlay = layers.back().name;
    o.top = layers[t].name;
    if (b != 0 || c.chance(50)) o.base = layers[b].name;  // default: the bottom
    s.steps.push_back(BlockCommitStep{o});
    return true;
  }
  StreamOptions o;
  o.image = layers.back().name;
  // No base (stream everything) or any layer below the top.
  std::size_t j = c.range(0, n - 1);
  if (j < n - 1) o.base = layers[j].name;
  s.steps.push_back(StreamStep{o});
  return true;
}

}  // namespace chaincheck::model
