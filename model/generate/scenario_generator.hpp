// One random scenario generator for the campaign (seeded PRNG), the property tests
// (RapidCheck, shrinkable) and the fuzzers (FuzzedDataProvider): they differ only in the
// Chooser that answers its questions. Choice 0 is always the simplest answer, so a
// shrinking Chooser shrinks scenarios toward fewer layers, no filters, small aligned sizes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "model/scenario/scenario.hpp"

namespace chaincheck::model {

class Chooser {
 public:
  virtual ~Chooser() = default;
  // A number in [lo, hi]; lo is the simplest.
  virtual u64 range(u64 lo, u64 hi) = 0;
  bool chance(unsigned percent) { return range(0, 99) >= 100 - percent; }
  // Index of a weighted choice; index 0 is the simplest.
  std::size_t weighted(const std::vector<unsigned>& weights);
  // The same for a braced list of weights, without building a vector (the generator asks
  // dozens of these per scenario; each vector was a heap allocation in the fuzzers).
  std::size_t weighted(std::initializer_list<unsigned> weights);
};

class RandomChooser : public Chooser {
 public:
  explicit RandomChooser(std::uint64_t seed) : rng_(seed) {}
  u64 range(u64 lo, u64 hi) override {
    return std::uniform_int_distribution<u64>(lo, hi)(rng_);
  }

 private:
  std::mt19937_64 rng_;
};

struct GeneratorConfig {
  unsigned max_layers = 4;
  unsigned max_ops_per_layer = 4;
  u64 max_image_size = 4 * 1024 * 1024;
  bool filters = true;           // filters on top of the export
  bool filters_between = true;   // a filter between an overlay and its backing (node names)
  bool file_filters = true;      // filters over an image's file node
  bool copy_on_read = true;      // copy-on-read on top of, or between, layers
  bool unaligned_raw = true;     // raw files of sizes that are not a multiple of 512
  bool compressed_writes = true;
  bool extended_l2 = true;
  bool preallocation = true;
  bool v2 = true;
  bool chain_operations = true;  // sometimes one commit / rebase / convert (chain_step_generator)
  bool bitmaps = true;  // sometimes: qemu-img bitmap steps on the top qcow2 layer, exported
  bool runtime_bitmaps = true;  // sometimes: a QMP bitmap session on a qcow2 layer (runtime_bitmap_generator)
};

Scenario generate_scenario(Chooser& c, const GeneratorConfig& cfg = {});

}  // namespace chaincheck::model
