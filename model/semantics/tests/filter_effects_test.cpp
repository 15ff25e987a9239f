// Copy-on-read: what reading an export through it does to the layers (model/filter_effects).
#include "model/semantics/filter_effects.hpp"
#include "model/scenario/scenario.hpp"
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class CopyOnRead : public ModelTest {
 protected:
  void SetUp() override {
    qcow2("base.qcow2", 1 * MiB);
    write("base.qcow2", 0, 64 * KiB, 1);
    write("base.qcow2", 256 * KiB, 64 * KiB, 0);  // zero bytes, but written: DATA
    qcow2("top.qcow2", std::nullopt, "base.qcow2");
    write("top.qcow2", 128 * KiB, 64 * KiB, 2);
  }
  GraphSpec cor_over(GraphSpec child) {
    GraphSpec f;
    f.filter = NodeKind::CopyOnRead;
    f.child = std::make_shared<GraphSpec>(std::move(child));
    return f;
  }
  ClusterType type_at(const std::string& img, u64 off) { return s.image(s.find(img)).qcow2().units.at(off).value.type; }
};

// bdrv_co_do_copy_on_readv: backing data read through COR is written into the overlay.
TEST_F(CopyOnRead, BackingDataReadThroughItIsCopiedIntoTheOverlay) {
  Graph g = build_graph(s, cor_over(GraphSpec::of_image("top.qcow2")));
  auto before = content(s, g, g.root, 0, 1 * MiB);
  read_export(s, g);
  EXPECT_EQ(type_at("top.qcow2", 0), ClusterType::Normal);
  EXPECT_EQ(content(s, g, g.root, 0, 1 * MiB), before);  // copying never changes what is read
}

// nbd_co_send_sparse_read: ZERO pieces go out as holes, unread, so nothing is copied there.
TEST_F(CopyOnRead, RangesTheExportCallsZeroAreNeverReadSoNeverCopied) {
  Graph g = build_graph(s, cor_over(GraphSpec::of_image("top.qcow2")));
  read_export(s, g);
  EXPECT_EQ(type_at("top.qcow2", 64 * KiB), ClusterType::Unallocated);
  EXPECT_EQ(type_at("top.qcow2", 512 * KiB), ClusterType::Unallocated);
}

// An all-zero piece is copied as write-zeroes (no unmap): a zero cluster, not data.
TEST_F(CopyOnRead, AnAllZeroPieceIsCopiedAsAZeroCluster) {
  Graph g = build_graph(s, cor_over(GraphSpec::of_image("top.qcow2")));
  read_export(s, g);
  EXPECT_EQ(type_at("top.qcow2", 256 * KiB), ClusterType::ZeroPlain);
}

// Between overlay and backing, the filter's child is the backing: the copy lands there.
TEST_F(CopyOnRead, BetweenLayersItCopiesIntoTheLayerBelowNotTheOverlay) {
  qcow2("mid.qcow2", std::nullopt, "base.qcow2");
  qcow2("top.qcow2", std::nullopt, "mid.qcow2");
  GraphSpec top = GraphSpec::of_image("top.qcow2");
  top.backing = GraphSpec::Backing::Explicit;
  top.child = std::make_shared<GraphSpec>(cor_over(GraphSpec::of_image("mid.qcow2")));
  Graph g = build_graph(s, top);
  read_export(s, g);
  EXPECT_EQ(type_at("mid.qcow2", 0), ClusterType::Normal);
  EXPECT_EQ(type_at("top.qcow2", 0), ClusterType::Unallocated);
}

// A plain read (no COR node) changes nothing.
TEST_F(CopyOnRead, WithoutTheFilterAReadAllocatesNothing) {
  Graph g = open_image(s, "top.qcow2");
  EXPECT_FALSE(has_copy_on_read(g));
  read_export(s, g);
  EXPECT_EQ(type_at("top.qcow2", 0), ClusterType::Unallocated);
}

}  // namespace
}  // namespace chaincheck::model::testing
