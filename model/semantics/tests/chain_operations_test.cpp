// qemu-img commit / rebase / convert in the model: the exact state of every layer after.
#include "model/semantics/chain_operations.hpp"
#include "model/scenario/scenario_json.hpp"
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

using T = ClusterType;

class ChainOperations : public ModelTest {
 protected:
  // Runs of (sub)cluster types of a qcow2 image, as (start, length, type).
  std::vector<std::tuple<u64, u64, ClusterType>> types(const std::string& img) {
    std::vector<std::tuple<u64, u64, ClusterType>> out;
    for (const auto& e : s.image(s.find(img)).qcow2().units.extents()) out.emplace_back(e.start, e.length, e.value.type);
    return out;
  }
  std::vector<Extent<std::uint8_t>> bytes(const std::string& img) {
    Graph g = open_image(s, img);
    return content(s, g, g.root, 0, node_length(s, g, g.root));
  }
};

// img_commit -> mirror job: top data is copied, a top zero cluster over base data becomes a
// zero cluster in the base (mirror_co_zero with unmap), then the top is emptied.
TEST_F(ChainOperations, CommitCopiesDataZeroesAndEmptiesTheTop) {
  qcow2("base.qcow2", 1 * MiB);
  write("base.qcow2", 0, 128 * KiB, 1);
  qcow2("top.qcow2", std::nullopt, "base.qcow2");
  write_zeroes("top.qcow2", 0, 64 * KiB);
  write("top.qcow2", 192 * KiB, 4 * KiB, 2);
  auto before = bytes("top.qcow2");
  ok(commit_image(s, {.top = "top.qcow2"}));
  EXPECT_EQ(types("base.qcow2"),
            (std::vector<std::tuple<u64, u64, T>>{{0, 64 * KiB, T::ZeroPlain}, {64 * KiB, 64 * KiB, T::Normal},
                                                 {128 * KiB, 64 * KiB, T::Unallocated}, {192 * KiB, 64 * KiB, T::Normal},
                                                 {256 * KiB, 768 * KiB, T::Unallocated}}));
  EXPECT_EQ(types("top.qcow2"), (std::vector<std::tuple<u64, u64, T>>{{0, 1 * MiB, T::Unallocated}}));
  EXPECT_EQ(s.image(s.find("top.qcow2")).qcow2().backing_file, "base.qcow2");
  EXPECT_EQ(bytes("top.qcow2"), before);
  EXPECT_EQ(bytes("base.qcow2"), before);
}

TEST_F(ChainOperations, CommitWithDropLeavesTheTopUnchanged) {
  qcow2("base.qcow2", 1 * MiB);
  qcow2("top.qcow2", std::nullopt, "base.qcow2");
  write("top.qcow2", 0, 64 * KiB, 3);
  auto top = types("top.qcow2");
  ok(commit_image(s, {.top = "top.qcow2", .drop = true}));
  EXPECT_EQ(types("top.qcow2"), top);
  EXPECT_EQ(type_at("base.qcow2", 0), T::Normal);
}

// The mirror's granularity is the base's cluster size (4k here): a 512-byte top cluster
// dirties one 4k chunk, copied whole.
TEST_F(ChainOperations, CommitCopiesWholeGranularityChunks) {
  qcow2("base.qcow2", 64 * KiB, {}, ImageFormat::Qcow2, 12);
  qcow2("top.qcow2", std::nullopt, "base.qcow2", ImageFormat::Qcow2, 9);
  write("top.qcow2", 4 * KiB + 512, 512, 7);
  ok(commit_image(s, {.top = "top.qcow2"}));
  EXPECT_EQ(types("base.qcow2"),
            (std::vector<std::tuple<u64, u64, T>>{{0, 4 * KiB, T::Unallocated}, {4 * KiB, 4 * KiB, T::Normal},
                                                 {8 * KiB, 56 * KiB, T::Unallocated}}));
}

// mirror_iteration acts on one block-status answer: a 512-byte-cluster top answers at most
// to its L2 slice end (32k), shorter than the 64k granularity, so its zeroes are copied as
// zero bytes and the base's data clusters stay data (qemu-img 7.2 commit does the same).
TEST_F(ChainOperations, CommitCopiesZeroAnswersShorterThanTheGranularity) {
  qcow2("base.qcow2", 256 * KiB);
  write("base.qcow2", 0, 256 * KiB, 90);
  qcow2("top.qcow2", std::nullopt, "base.qcow2", ImageFormat::Qcow2, 9);
  write_zeroes("top.qcow2", 0, 128 * KiB);
  ok(commit_image(s, {.top = "top.qcow2"}));
  EXPECT_EQ(types("base.qcow2"), (std::vector<std::tuple<u64, u64, T>>{{0, 256 * KiB, T::Normal}}));
  EXPECT_EQ(bytes("base.qcow2"),
            (std::vector<Extent<std::uint8_t>>{{0, 128 * KiB, 0}, {128 * KiB, 128 * KiB, 90}}));
}

// "-b implies -d": committing through a middle layer leaves top and middle as they were.
TEST_F(ChainOperations, CommitIntoADeeperBaseKeepsTheUpperLayers) {
  qcow2("base.qcow2", 1 * MiB);
  qcow2("mid.qcow2", std::nullopt, "base.qcow2");
  write("mid.qcow2", 0, 64 * KiB, 1);
  qcow2("top.qcow2", std::nullopt, "mid.qcow2");
  write("top.qcow2", 64 * KiB, 64 * KiB, 2);
  auto top = types("top.qcow2"), mid = types("mid.qcow2");
  ok(commit_image(s, {.top = "top.qcow2", .base = "base.qcow2"}));
  EXPECT_EQ(types("top.qcow2"), top);
  EXPECT_EQ(types("mid.qcow2"), mid);
  EXPECT_EQ(bytes("base.qcow2"), (std::vector<Extent<std::uint8_t>>{
                                     {0, 64 * KiB, 1}, {64 * KiB, 64 * KiB, 2}, {128 * KiB, 896 * KiB, 0}}));
}

TEST_F(ChainOperations, CommitOfAnImageWithoutBackingIsRefused) {
  qcow2("alone.qcow2", 1 * MiB);
  auto err = commit_image(s, {.top = "alone.qcow2"});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message, "Image does not have a backing file");
}

class Rebase : public ChainOperations {
 protected:
  void SetUp() override {
    qcow2("old.qcow2", 1 * MiB);
    write("old.qcow2", 0, 256 * KiB, 1);
    qcow2("new.qcow2", 1 * MiB);
    write("new.qcow2", 64 * KiB, 64 * KiB, 1);
    write("new.qcow2", 128 * KiB, 512, 9);
    qcow2("top.qcow2", std::nullopt, "old.qcow2");
    write("top.qcow2", 0, 64 * KiB, 3);
  }
};

// img_rebase: ranges the top does not allocate are compared sector by sector; where old and
// new backing differ the old bytes are written into the top (COW fills the cluster).
TEST_F(Rebase, SafeRebaseWritesOnlyWhereTheBackingsDiffer) {
  auto before = bytes("top.qcow2");
  ok(rebase_image(s, {.image = "top.qcow2", .backing = "new.qcow2", .backing_format = ImageFormat::Qcow2}));
  EXPECT_EQ(types("top.qcow2"),
            (std::vector<std::tuple<u64, u64, T>>{{0, 64 * KiB, T::Normal}, {64 * KiB, 64 * KiB, T::Unallocated},
                                                 {128 * KiB, 128 * KiB, T::Normal}, {256 * KiB, 768 * KiB, T::Unallocated}}));
  EXPECT_EQ(s.image(s.find("top.qcow2")).qcow2().backing_file, "new.qcow2");
  EXPECT_EQ(bytes("top.qcow2"), before);
}

TEST_F(Rebase, UnsafeRebaseChangesOnlyTheHeader) {
  auto top = types("top.qcow2");
  ok(rebase_image(s, {.image = "top.qcow2", .backing = "new.qcow2", .backing_format = ImageFormat::Qcow2, .unsafe = true}));
  EXPECT_EQ(types("top.qcow2"), top);
  EXPECT_EQ(s.image(s.find("top.qcow2")).qcow2().backing_file, "new.qcow2");
  EXPECT_EQ(bytes("top.qcow2"), (std::vector<Extent<std::uint8_t>>{{0, 64 * KiB, 3}, {64 * KiB, 64 * KiB, 1},
                                                                  {128 * KiB, 512, 9}, {128 * KiB + 512, 896 * KiB - 512, 0}}));
}

// Past the old backing's end the old side reads zeroes: differing sectors get write-zeroes
// (no unmap): zero clusters where the new backing has data.
TEST_F(ChainOperations, SafeRebaseWritesZeroesPastTheOldBackingsEnd) {
  qcow2("old.qcow2", 512 * KiB);
  qcow2("new.qcow2", 1 * MiB);
  write("new.qcow2", 768 * KiB, 64 * KiB, 4);
  qcow2("top.qcow2", 1 * MiB, "old.qcow2");
  ok(rebase_image(s, {.image = "top.qcow2", .backing = "new.qcow2", .backing_format = ImageFormat::Qcow2}));
  EXPECT_EQ(types("top.qcow2"),
            (std::vector<std::tuple<u64, u64, T>>{{0, 768 * KiB, T::Unallocated}, {768 * KiB, 64 * KiB, T::ZeroPlain},
                                                 {832 * KiB, 192 * KiB, T::Unallocated}}));
}

class Convert : public ChainOperations {
 protected:
  void SetUp() override {
    qcow2("base.qcow2", 1 * MiB);
    write("base.qcow2", 0, 128 * KiB, 1);
    write("base.qcow2", 256 * KiB, 64 * KiB, 0);  // data that is all zero
    qcow2("top.qcow2", std::nullopt, "base.qcow2");
    write_zeroes("top.qcow2", 0, 64 * KiB);
    write("top.qcow2", 512 * KiB, 4 * KiB, 2);
  }
};

// A new target starts zeroed: only non-zero data is written, zero ranges (and all-zero
// data) stay unallocated.
TEST_F(Convert, NewTargetAllocatesOnlyNonZeroData) {
  auto source = bytes("top.qcow2");
  ok(convert_image(s, {.source = "top.qcow2", .target = "out.qcow2"}));
  EXPECT_EQ(types("out.qcow2"),
            (std::vector<std::tuple<u64, u64, T>>{{0, 64 * KiB, T::Unallocated}, {64 * KiB, 64 * KiB, T::Normal},
                                                 {128 * KiB, 384 * KiB, T::Unallocated}, {512 * KiB, 64 * KiB, T::Normal},
                                                 {576 * KiB, 448 * KiB, T::Unallocated}}));
  EXPECT_FALSE(s.image(s.find("out.qcow2")).qcow2().backing_file);
  EXPECT_EQ(bytes("out.qcow2"), source);
}

// -B: only the source's top layer is looked at; its zero cluster becomes a zero cluster,
// what it leaves unallocated stays unallocated over the new backing.
TEST_F(Convert, WithBackingKeepsOnlyTheTopLayer) {
  ok(convert_image(s, {.source = "top.qcow2", .target = "out.qcow2", .backing = "base.qcow2",
                       .backing_format = ImageFormat::Qcow2}));
  EXPECT_EQ(types("out.qcow2"),
            (std::vector<std::tuple<u64, u64, T>>{{0, 64 * KiB, T::ZeroPlain}, {64 * KiB, 448 * KiB, T::Unallocated},
                                                 {512 * KiB, 64 * KiB, T::Normal}, {576 * KiB, 448 * KiB, T::Unallocated}}));
  EXPECT_EQ(bytes("out.qcow2"), bytes("top.qcow2"));
}

// -n: zero ranges are zeroed in the existing target, unless --target-is-zero says they
// already are (then stale bytes stay: the caller's promise was false).
TEST_F(Convert, ExistingTargetIsZeroedUnlessTargetIsZero) {
  for (bool target_is_zero : {false, true}) {
    qcow2("out.qcow2", 1 * MiB);
    write("out.qcow2", 0, 1 * MiB, 8);
    ok(convert_image(s, {.source = "top.qcow2", .target = "out.qcow2", .existing = true,
                         .target_is_zero = target_is_zero}));
    if (target_is_zero) {
      EXPECT_EQ(bytes("out.qcow2").front(), (Extent<std::uint8_t>{0, 64 * KiB, 8}));
    } else {
      EXPECT_EQ(bytes("out.qcow2"), bytes("top.qcow2"));
      EXPECT_EQ(type_at("out.qcow2", 0), T::ZeroPlain);  // write-zeroes with MAY_UNMAP
    }
  }
}

// -n over a written target: a source with 512-byte clusters answers block status at most
// to an L2 slice end (64 entries = 32k), so each zero answer is shorter than the target's
// 64k cluster; qcow2 cannot zero part of a cluster holding data and QEMU falls back to
// writing zero bytes: the target stays data. With a 64k-cluster source the one zero answer
// covers whole clusters, which become zero clusters. (ChainOperationsLiveProperty, seed
// 143373057389902044, checked against qemu-img 7.2.)
TEST_F(Convert, ExistingTargetKeepsDataWhereZeroAnswersAreShorterThanItsClusters) {
  for (unsigned source_bits : {9u, 16u}) {
    qcow2("src.qcow2", 256 * KiB, {}, ImageFormat::Qcow2, source_bits);
    qcow2("out.qcow2", 256 * KiB);
    write("out.qcow2", 0, 256 * KiB, 90);
    ok(convert_image(s, {.source = "src.qcow2", .target = "out.qcow2", .existing = true}));
    EXPECT_EQ(bytes("out.qcow2"), (std::vector<Extent<std::uint8_t>>{{0, 256 * KiB, 0}}));
    EXPECT_EQ(types("out.qcow2"), (std::vector<std::tuple<u64, u64, T>>{
                                      {0, 256 * KiB, source_bits == 9 ? T::Normal : T::ZeroPlain}}))
        << "source cluster bits " << source_bits;
  }
}

TEST_F(Convert, TargetIsZeroWithoutExistingTargetIsRefused) {
  auto err = convert_image(s, {.source = "top.qcow2", .target = "out.qcow2", .target_is_zero = true});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message, "--target-is-zero requires use of -n flag");
}

TEST(ChainStepsJson, StepsRoundTripAndErrorsNameTheField) {
  const char* text = R"({"steps": [
    {"create": {"name": "b.qcow2", "format": "qcow2", "size": "1M"}},
    {"create": {"name": "t.qcow2", "format": "qcow2", "backing": "b.qcow2", "backing_format": "qcow2"}},
    {"commit": {"top": "t.qcow2", "drop": true}},
    {"rebase": {"image": "t.qcow2", "backing": "", "unsafe": true}},
    {"convert": {"source": "t.qcow2", "target": "o.qcow2", "format": "qcow2", "cluster_size": "4k",
                 "backing": "b.qcow2", "backing_format": "qcow2"}}]})";
  Scenario s = scenario_from_text(text);
  ASSERT_EQ(s.steps.size(), 5u);
  EXPECT_EQ(std::get<CommitStep>(s.steps[2]).options, (CommitOptions{.top = "t.qcow2", .drop = true}));
  EXPECT_EQ(std::get<ConvertStep>(s.steps[4]).options.cluster_bits, 12u);
  Scenario back = scenario_from_json(to_json(s));
  EXPECT_EQ(to_json(back), to_json(s));
  EXPECT_EQ(describe(s.steps[3]), "rebase -u t.qcow2 onto nothing");
  try {
    scenario_from_text(R"({"steps": [{"convert": {"source": "a", "target": "b", "format": "qcow2", "target_is_zero": true}}]})");
    FAIL() << "accepted --target-is-zero without -n";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()), "steps[0].convert.target_is_zero: needs existing: true (qemu-img convert -n)");
  }
  EXPECT_THROW(scenario_from_text(R"({"steps": [{"commit": {"top": "a", "bsae": "b"}}]})"), ScenarioError);
}

}  // namespace
}  // namespace chaincheck::model::testing
