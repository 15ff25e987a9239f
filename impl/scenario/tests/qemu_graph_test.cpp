#include "impl/scenario/qemu_graph.hpp"

#include <gtest/gtest.h>

namespace chaincheck::impl {
namespace {

using model::GraphSpec;
using model::NodeKind;
using nlohmann::json;

TEST(QemuGraph, SeedJsonWithNullBackingIsTheImageWithoutBacking) {
  auto p = graph_from_qemu_options(json::parse(
      R"({"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"top.qcow2"}})"));
  ASSERT_TRUE(p.graph) << p.why_not;
  EXPECT_EQ(*p.graph, GraphSpec::of_image("top.qcow2", true));
}

TEST(QemuGraph, BlkdebugImageOptsBecomeAFilter) {
  auto p = graph_from_qemu_options(json::parse(
      R"({"align":"4k","driver":"blkdebug","image":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}})"));
  ASSERT_TRUE(p.graph) << p.why_not;
  EXPECT_EQ(p.graph->filter, NodeKind::Blkdebug);
  EXPECT_EQ(p.graph->align, 4096u);
  EXPECT_EQ(*p.graph->child, GraphSpec::of_image("top.qcow2"));
}

TEST(QemuGraph, RoundTripsEveryFilter) {
  for (NodeKind k : {NodeKind::Blkdebug, NodeKind::RawWindow, NodeKind::CopyOnRead, NodeKind::Throttle,
                     NodeKind::Preallocate, NodeKind::Compress}) {
    GraphSpec f;
    f.filter = k;
    if (k == NodeKind::Blkdebug) f.align = 4096;
    if (k == NodeKind::RawWindow) {
      f.offset = 512;
      f.size = 65536;
    }
    f.child = std::make_shared<GraphSpec>(GraphSpec::of_image("a.qcow2", true));
    json j = qemu_options(f, {{"a.qcow2", model::ImageFormat::Qcow2}});
    auto back = graph_from_qemu_options(j);
    ASSERT_TRUE(back.graph) << j.dump() << ": " << back.why_not;
    EXPECT_EQ(*back.graph, f) << j.dump();
  }
}

TEST(QemuGraph, ExplicitBackingThroughAFilterRoundTrips) {
  GraphSpec top = GraphSpec::of_image("top.qcow2");
  GraphSpec cor;
  cor.filter = NodeKind::CopyOnRead;
  cor.child = std::make_shared<GraphSpec>(GraphSpec::of_image("base.raw"));
  top.backing = GraphSpec::Backing::Explicit;
  top.child = std::make_shared<GraphSpec>(cor);
  json j = qemu_options(top, {{"top.qcow2", model::ImageFormat::Qcow2}, {"base.raw", model::ImageFormat::Raw}});
  auto back = graph_from_qemu_options(j);
  ASSERT_TRUE(back.graph) << back.why_not;
  EXPECT_EQ(*back.graph, top);
}

TEST(QemuGraph, UnknownDriversAreNotModelled) {
  auto p = graph_from_qemu_options(json::parse(R"({"driver":"nbd","server":{}})"));
  EXPECT_FALSE(p.graph);
  EXPECT_NE(p.why_not.find("'nbd' is not modelled"), std::string::npos);
}

}  // namespace
}  // namespace chaincheck::impl
