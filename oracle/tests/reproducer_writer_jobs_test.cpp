// Block jobs in a reproducer: a qemu-storage-daemon line with a QMP monitor, the job as a
// qmp-shell line and quit, all in the grammar chaincheck repro replays.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "impl/transcript/transcript.hpp"
#include "oracle/reproducer_writer.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

TEST(ReproducerJobs, BlockJobsBecomeReplayableDaemonAndQmpLines) {
  Scenario s;
  CreateOptions base{.name = "base.qcow2", .format = ImageFormat::Qcow2, .size = 1 << 20};
  CreateOptions mid{.name = "mid.qcow2", .format = ImageFormat::Qcow2};
  mid.backing_file = "base.qcow2";
  mid.backing_format = ImageFormat::Qcow2;
  CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "mid.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  s.steps = {CreateStep{base}, CreateStep{mid}, CreateStep{top},
             StreamStep{{.image = "top.qcow2", .base = "base.qcow2"}},
             BlockCommitStep{{.overlay = "top.qcow2", .top = "mid.qcow2"}}};
  std::string text = scenario_to_transcript(s);
  EXPECT_EQ(text.find("not replayable"), std::string::npos) << text;
  auto cmds = impl::parse_transcript(text);
  // 3 creates, then per job: the daemon, the job, quit.
  ASSERT_EQ(cmds.size(), 9u) << text;
  const auto& daemon = std::get<impl::StorageDaemonRun>(cmds[3].command);
  ASSERT_TRUE(daemon.qmp_socket.has_value());
  auto node = nlohmann::json::parse(daemon.blockdevs.at(0));
  EXPECT_EQ(node["file"]["filename"], "top.qcow2");
  EXPECT_EQ(node["node-name"], "top");
  EXPECT_FALSE(node.contains("backing"));  // the chain the headers name, as the campaign opens it
  const auto& stream = std::get<impl::QmpCommand>(cmds[4].command);
  EXPECT_EQ(stream.execute, "block-stream");
  EXPECT_EQ(stream.daemon_line, cmds[3].line);
  auto sa = nlohmann::json::parse(stream.arguments);
  EXPECT_EQ(sa["device"], "top");
  EXPECT_EQ(sa["base"], "base.qcow2");
  EXPECT_EQ(std::get<impl::QmpCommand>(cmds[5].command).execute, "quit");
  const auto& commit = std::get<impl::QmpCommand>(cmds[7].command);
  EXPECT_EQ(commit.execute, "block-commit");
  auto ca = nlohmann::json::parse(commit.arguments);
  EXPECT_EQ(ca["top"], "mid.qcow2");
  EXPECT_FALSE(ca.contains("base"));
  EXPECT_EQ(commit.daemon_line, cmds[6].line);  // the second daemon, not the first
}

// An active commit is block-commit without top (the device's own layer): repro's runner
// sends job-complete when it is READY, as the campaign's executor does.
TEST(ReproducerJobs, AnActiveCommitIsABlockCommitWithoutTop) {
  Scenario s;
  CreateOptions base{.name = "base.qcow2", .format = ImageFormat::Qcow2, .size = 1 << 20};
  CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "base.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  s.steps = {CreateStep{base}, CreateStep{top}, BlockCommitStep{{.overlay = "top.qcow2", .top = "top.qcow2"}}};
  std::string text = scenario_to_transcript(s);
  auto cmds = impl::parse_transcript(text);
  ASSERT_EQ(cmds.size(), 5u) << text;  // 2 creates, the daemon, the job, quit
  const auto& commit = std::get<impl::QmpCommand>(cmds[3].command);
  EXPECT_EQ(commit.execute, "block-commit");
  auto ca = nlohmann::json::parse(commit.arguments);
  EXPECT_EQ(ca["device"], "top");
  EXPECT_FALSE(ca.contains("top")) << text;
  EXPECT_EQ(std::get<impl::QmpCommand>(cmds[4].command).execute, "quit");
}

}  // namespace
}  // namespace chaincheck::oracle
