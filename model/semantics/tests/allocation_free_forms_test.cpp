// The allocation-free forms the fuzzers use (round_sticky into a reused list, reads_as_zero
// without a content list, weighted() over a braced list) answer exactly as the list forms.
#include <deque>

#include "model/semantics/rounding.hpp"
#include "model/generate/scenario_generator.hpp"
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

class AllocationFreeForms : public ModelTest {
 protected:
  void SetUp() override {
    qcow2("back.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 9);
    write("back.qcow2", 0, 512, 1);
    write("back.qcow2", 1536, 1024, 2);
    qcow2("top.qcow2", std::nullopt, "back.qcow2", ImageFormat::Qcow2, 12);
    write("top.qcow2", 8192, 100, 3);
    ok(apply(s, open_image(s, "top.qcow2"), {OpKind::WriteZeroes, 16384, 4096, 0, false}));
  }
};

TEST_F(AllocationFreeForms, RoundStickyIntoAReusedListEqualsTheReturnedList) {
  Graph g = open_image(s, "top.qcow2");
  auto precise = status_extents(s, g, g.root, 0, 64 * KiB);
  std::vector<StatusExtent> reused = {{0, {}}, {1, {}}, {2, {}}};  // stale entries are dropped
  for (u64 align : {u64{1}, u64{512}, u64{4096}, u64{65536}}) {
    auto fresh = round_sticky(precise, align, node_length(s, g, g.root));
    round_sticky(precise, align, node_length(s, g, g.root), reused);
    ASSERT_EQ(reused.size(), fresh.size()) << "align " << align;
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      EXPECT_EQ(reused[i].start, fresh[i].start);
      EXPECT_EQ(reused[i].status, fresh[i].status);
    }
  }
  // A 4 KiB block over backing data (512 B) and holes: DATA sticky set, ZERO sticky clear.
  auto blocks = round_sticky(precise, 4096, node_length(s, g, g.root));
  EXPECT_EQ(blocks.front().start, 0u);
  EXPECT_TRUE(blocks.front().status.flags & kData);
  EXPECT_FALSE(blocks.front().status.flags & kZero);
}

TEST_F(AllocationFreeForms, ReadsAsZeroAgreesWithTheContentList) {
  Graph g = open_image(s, "top.qcow2");
  for (u64 off : {u64{0}, u64{512}, u64{1000}, u64{2560}, u64{8192}, u64{8292}, u64{16384}, u64{1 * MiB - 10}, u64{2 * MiB}})
    for (u64 len : {u64{1}, u64{512}, u64{1024}, u64{4096}, u64{1 * MiB}}) {
      bool from_list = true;
      for (const auto& e : content(s, g, g.root, off, len)) from_list = from_list && e.value == 0;
      EXPECT_EQ(reads_as_zero(s, g, g.root, off, len), from_list) << off << "+" << len;
    }
  EXPECT_FALSE(reads_as_zero(s, g, g.root, 0, 512));
  EXPECT_TRUE(reads_as_zero(s, g, g.root, 512, 1024));
}

// Answers range() from a script, recording what it was asked.
class ScriptedChooser : public Chooser {
 public:
  explicit ScriptedChooser(std::deque<u64> answers) : answers_(std::move(answers)) {}
  u64 range(u64 lo, u64 hi) override {
    asked.push_back(hi - lo);
    u64 a = answers_.front();
    answers_.pop_front();
    return a;
  }
  std::vector<u64> asked;

 private:
  std::deque<u64> answers_;
};

TEST(Chooser, WeightedOverABracedListPicksAsOverAVector) {
  for (u64 answer = 0; answer < 10; ++answer) {
    ScriptedChooser a({answer}), b({answer});
    std::size_t from_list = a.weighted({6, 0, 3, 1});
    std::size_t from_vector = b.weighted(std::vector<unsigned>{6, 0, 3, 1});
    EXPECT_EQ(from_list, from_vector) << answer;
    EXPECT_EQ(a.asked, b.asked);
    EXPECT_EQ(a.asked, (std::vector<u64>{9}));
  }
  ScriptedChooser c({6});
  EXPECT_EQ(c.weighted({6, 0, 3, 1}), 2u);  // past the first choice, skipping the empty one
}

}  // namespace
}  // namespace chaincheck::model::testing
