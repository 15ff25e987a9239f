// Block jobs in a reproducer: the transcript grammar has no QMP, so a job is a comment line
// that says it is not replayed (and carries the QMP command), and the rest still parses.
#include <gtest/gtest.h>

#include "impl/transcript/transcript.hpp"
#include "oracle/reproducer.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

TEST(ReproducerJobs, BlockJobsBecomeCommentsThatSayTheyAreNotReplayed) {
  Scenario s;
  CreateOptions base{.name = "base.qcow2", .format = ImageFormat::Qcow2, .size = 1 << 20};
  CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "base.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  s.steps = {CreateStep{base}, CreateStep{top}, StreamStep{{.image = "top.qcow2", .base = "base.qcow2"}},
             BlockCommitStep{{.overlay = "top.qcow2", .top = "mid.qcow2"}}};
  std::string text = scenario_to_transcript(s);
  EXPECT_NE(text.find("# not replayable by chaincheck repro"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("execute":"block-stream")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("base-node":"base.qcow2")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("execute":"block-commit")"), std::string::npos) << text;
  // Only the two qemu-img create lines are commands.
  EXPECT_EQ(impl::parse_transcript(text).size(), 2u) << text;
}

}  // namespace
}  // namespace chaincheck::oracle
