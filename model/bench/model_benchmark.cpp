// Model speed on big sparse images: block_status over an 8-layer chain with 10,000
// extents per layer, and a full map of a 4 TiB image with 1,000,000 extents.
#include <benchmark/benchmark.h>

#include "model/semantics/chain.hpp"
#include "model/semantics/operations.hpp"
#include "model/semantics/projections/qemu_img_map.hpp"

namespace chaincheck::model {
namespace {

constexpr u64 kCluster = 64 * 1024;

// A chain of `layers` qcow2 images of `size` bytes; each layer has `per_layer` data runs
// scattered deterministically (built directly: the benchmark measures queries, not writes).
ModelState make_chain(unsigned layers, u64 size, u64 per_layer) {
  ModelState s;
  for (unsigned i = 0; i < layers; ++i) {
    CreateOptions o;
    o.name = "l" + std::to_string(i);
    o.size = size;
    if (i) {
      o.backing_file = "l" + std::to_string(i - 1);
      o.backing_format = ImageFormat::Qcow2;
    }
    create_image(s, o);
    Qcow2Image& q = s.images.back().qcow2();
    u64 clusters = size / kCluster;
    u64 stride = clusters / per_layer;
    for (u64 k = 0; k < per_layer; ++k) {
      u64 c = k * stride + (k * 7919 + i * 104729) % std::max<u64>(1, stride / 2);
      q.units.assign(c * kCluster, kCluster,
                     Qcow2Unit{k % 3 ? ClusterType::Normal : ClusterType::ZeroPlain,
                               static_cast<std::int64_t>(k * kCluster), false});
    }
  }
  return s;
}

void BM_BlockStatusChain8x10k(benchmark::State& state) {
  ModelState s = make_chain(8, u64{64} << 30, 10000);
  Graph g = open_image(s, "l7");
  u64 len = node_length(s, g, g.root);
  u64 pos = 0, queries = 0;
  for (auto _ : state) {
    BlockStatus st = block_status(s, g, g.root, pos, len - pos);
    benchmark::DoNotOptimize(st);
    pos = st.pnum && pos + st.pnum < len ? pos + st.pnum : 0;
    ++queries;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(queries));
}
BENCHMARK(BM_BlockStatusChain8x10k);

void BM_FullMapChain8x10k(benchmark::State& state) {
  ModelState s = make_chain(8, u64{64} << 30, 10000);
  Graph g = open_image(s, "l7");
  for (auto _ : state) benchmark::DoNotOptimize(qemu_img_map(s, g));
}
BENCHMARK(BM_FullMapChain8x10k)->Unit(benchmark::kMillisecond);

void BM_FullMap4TiB1MExtents(benchmark::State& state) {
  // 500,000 data runs separated by holes: 1,000,000 extents.
  ModelState s = make_chain(1, u64{4} << 40, 500000);
  Graph g = open_image(s, "l0");
  state.counters["extents"] = static_cast<double>(s.images[0].qcow2().units.extent_count());
  for (auto _ : state) benchmark::DoNotOptimize(qemu_img_map(s, g));
}
BENCHMARK(BM_FullMap4TiB1MExtents)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace chaincheck::model

BENCHMARK_MAIN();
