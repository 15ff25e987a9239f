// The chain the block-job model tests share (block_jobs_test, active_commit_test): base <-
// mid <- top with 64k clusters, and what each layer holds afterwards.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {

using Types = std::vector<std::tuple<u64, u64, ClusterType>>;

class BlockJobTest : public ModelTest {
 protected:
  Types types(const std::string& img) {
    Types out;
    for (const auto& e : s.image(s.find(img)).qcow2().units.extents()) out.emplace_back(e.start, e.length, e.value.type);
    return out;
  }
  std::vector<Extent<std::uint8_t>> bytes(const std::string& img) {
    Graph g = open_image(s, img);
    return content(s, g, g.root, 0, node_length(s, g, g.root));
  }
  // base <- mid <- top, 64k clusters: base data 0-64k and a zero cluster at 128k; mid data
  // at 64k (4k), zero-filled data at 192k and a zero cluster at 256k; top data at 300k.
  void three_layers() {
    qcow2("base.qcow2", 1 * MiB);
    write("base.qcow2", 0, 64 * KiB, 1);
    write_zeroes("base.qcow2", 128 * KiB, 64 * KiB);
    qcow2("mid.qcow2", std::nullopt, "base.qcow2");
    write("mid.qcow2", 64 * KiB, 4 * KiB, 2);
    write("mid.qcow2", 192 * KiB, 64 * KiB, 0);
    write_zeroes("mid.qcow2", 256 * KiB, 64 * KiB);
    qcow2("top.qcow2", std::nullopt, "mid.qcow2");
    write("top.qcow2", 300 * KiB, 4 * KiB, 3);
  }
};

}  // namespace chaincheck::model::testing
