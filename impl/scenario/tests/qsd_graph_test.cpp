// GraphSpec -> blockdev-add commands (node names, bottom-up) and the file-filter json: form.
#include "impl/scenario/qsd_graph.hpp"

#include <gtest/gtest.h>

namespace chaincheck::impl {
namespace {

using model::GraphSpec;
using model::NodeKind;
using nlohmann::json;

const ImageFormats kFormats = {{"top.qcow2", model::ImageFormat::Qcow2}, {"base.qcow2", model::ImageFormat::Qcow2}};

GraphSpec filter(NodeKind k, GraphSpec child) {
  GraphSpec f;
  f.filter = k;
  f.child = std::make_shared<GraphSpec>(std::move(child));
  return f;
}

GraphSpec throttle_between() {
  GraphSpec top = GraphSpec::of_image("top.qcow2");
  top.backing = GraphSpec::Backing::Explicit;
  top.child = std::make_shared<GraphSpec>(filter(NodeKind::Throttle, GraphSpec::of_image("base.qcow2")));
  return top;
}

TEST(QsdGraph, AFilterBetweenLayersIsAddedBottomUpAndNamedAsTheBacking) {
  BlockdevPlan p = blockdev_plan(throttle_between(), kFormats);
  ASSERT_EQ(p.blockdevs.size(), 5u);
  EXPECT_EQ(p.blockdevs[0], (json{{"driver", "file"}, {"filename", "base.qcow2"}, {"node-name", "n0"}, {"read-only", true}}));
  EXPECT_EQ(p.blockdevs[1]["file"], "n0");
  EXPECT_EQ(p.blockdevs[2], (json{{"driver", "throttle"}, {"throttle-group", "tg0"}, {"file", "n1"}, {"node-name", "n2"}, {"read-only", true}}));
  EXPECT_EQ(p.blockdevs[4]["backing"], "n2");
  EXPECT_EQ(p.blockdevs[4]["file"], "n3");
  EXPECT_EQ(p.root, "n4");
  ASSERT_EQ(p.objects.size(), 1u);
  EXPECT_EQ(p.objects[0], (json{{"qom-type", "throttle-group"}, {"id", "tg0"}}));
  EXPECT_TRUE(needs_blockdev(throttle_between()));
  EXPECT_TRUE(has_filter_between_layers(throttle_between()));
}

TEST(QsdGraph, CopyOnReadOpensEveryNodeWritableAndNeedsNodeNames) {
  GraphSpec g = filter(NodeKind::CopyOnRead, GraphSpec::of_image("top.qcow2"));
  BlockdevPlan p = blockdev_plan(g, kFormats);
  EXPECT_TRUE(p.writable);
  for (const json& n : p.blockdevs) EXPECT_EQ(n["read-only"], false);
  EXPECT_TRUE(needs_blockdev(g));
  EXPECT_FALSE(has_filter_between_layers(g));
}

TEST(QsdGraph, PlainGraphsKeepQemuNbd) {
  EXPECT_FALSE(needs_blockdev(GraphSpec::of_image("top.qcow2")));
  EXPECT_FALSE(needs_blockdev(filter(NodeKind::Throttle, GraphSpec::of_image("top.qcow2"))));
  GraphSpec explicit_image = GraphSpec::of_image("top.qcow2");
  explicit_image.backing = GraphSpec::Backing::Explicit;
  explicit_image.child = std::make_shared<GraphSpec>(GraphSpec::of_image("base.qcow2"));
  EXPECT_FALSE(needs_blockdev(explicit_image));
}

TEST(QsdGraph, FileFiltersSitBetweenFormatAndFileTopDown) {
  GraphSpec g = GraphSpec::of_image("top.qcow2");
  g.file_filters = {{NodeKind::Blkdebug, 4096}, {NodeKind::Throttle, 0}};
  BlockdevPlan p = blockdev_plan(g, kFormats);
  ASSERT_EQ(p.blockdevs.size(), 4u);
  EXPECT_EQ(p.blockdevs[1]["driver"], "throttle");
  EXPECT_EQ(p.blockdevs[1]["file"], "n0");
  EXPECT_EQ(p.blockdevs[2]["driver"], "blkdebug");
  EXPECT_EQ(p.blockdevs[2]["image"], "n1");
  EXPECT_EQ(p.blockdevs[3]["file"], "n2");
  EXPECT_TRUE(needs_blockdev(g));
  // The same graph as one json: filename, and back.
  json j = qemu_options(g, kFormats);
  EXPECT_EQ(j["file"]["driver"], "blkdebug");
  EXPECT_EQ(j["file"]["image"]["driver"], "throttle");
  auto back = graph_from_qemu_options(j);
  ASSERT_TRUE(back.graph) << back.why_not;
  EXPECT_EQ(*back.graph, g);
  EXPECT_TRUE(needs_throttle_group(g));
}

std::vector<json> p_nodes_with_unknown_reference() {
  return {json{{"driver", "qcow2"}, {"node-name", "n1"}, {"file", "missing"}}};
}

TEST(QsdGraph, NestedBlockdevsParseBackToTheSameGraph) {
  GraphSpec between = throttle_between();
  GraphSpec files = GraphSpec::of_image("top.qcow2");
  files.file_filters = {{NodeKind::Blkdebug, 512}};
  GraphSpec cor = filter(NodeKind::CopyOnRead, GraphSpec::of_image("top.qcow2", true));
  for (const GraphSpec& g : {between, files, cor}) {
    BlockdevPlan p = blockdev_plan(g, kFormats);
    auto back = graph_from_qemu_options(nest_blockdevs(p.blockdevs, p.root));
    ASSERT_TRUE(back.graph) << back.why_not;
    EXPECT_EQ(*back.graph, g) << model::describe(g);
  }
  EXPECT_THROW(nest_blockdevs(p_nodes_with_unknown_reference(), "n1"), std::invalid_argument);
}

}  // namespace
}  // namespace chaincheck::impl
