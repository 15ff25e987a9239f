// qmp-bitmaps sessions in a reproducer: a qemu-storage-daemon line with a QMP monitor, each
// command as qmp-shell line (raw JSON when qmp-shell would retype a value), and quit, all in
// the grammar chaincheck repro replays, with the arguments the campaign sent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "impl/transcript/transcript.hpp"
#include "oracle/reproducer_writer.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

RuntimeBitmapOp op(BitmapAction::Kind kind, const std::string& name, bool persistent = false,
                   std::optional<u64> granularity = {}, std::vector<std::string> sources = {}) {
  RuntimeBitmapOp o;
  o.kind = kind;
  o.name = name;
  o.persistent = persistent;
  o.granularity = granularity;
  for (auto& s : sources) o.sources.emplace_back("t.qcow2", s);
  return o;
}

TEST(ReproducerQmpBitmaps, ASessionBecomesADaemonLineItsCommandsAndQuit) {
  using K = BitmapAction::Kind;
  Scenario s;
  s.steps = {CreateStep{{.name = "t.qcow2", .format = ImageFormat::Qcow2, .size = 1 << 20}},
             RuntimeBitmapStep{"t.qcow2",
                               {op(K::Add, "q0", true, 65536), op(K::Add, "12"), op(K::Add, "two words"),
                                op(K::Merge, "q0", false, {}, {"12", "q1"}), op(K::Remove, "True")}}};
  std::string text = scenario_to_transcript(s);
  EXPECT_NE(text.find("(QEMU) block-dirty-bitmap-add granularity=65536 name=q0 node=top persistent=true\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(QEMU) block-dirty-bitmap-merge bitmaps=[\"12\",\"q1\"] node=top target=q0\n"), std::string::npos)
      << text;
  auto cmds = impl::parse_transcript(text);
  // The create, the daemon, five commands, quit.
  ASSERT_EQ(cmds.size(), 8u) << text;
  const auto& daemon = std::get<impl::StorageDaemonRun>(cmds[1].command);
  ASSERT_TRUE(daemon.qmp_socket.has_value());
  auto node = nlohmann::json::parse(daemon.blockdevs.at(0));
  EXPECT_EQ(node["file"]["filename"], "t.qcow2");
  EXPECT_EQ(node["node-name"], "top");
  EXPECT_TRUE(node["backing"].is_null());  // as the campaign opens it
  const auto& session = std::get<RuntimeBitmapStep>(s.steps[1]);
  for (std::size_t i = 0; i < session.ops.size(); ++i) {
    const auto& q = std::get<impl::QmpCommand>(cmds[2 + i].command);
    nlohmann::json sent = qmp_command(session.ops[i], "top");
    EXPECT_EQ(q.execute, sent["execute"]);
    // "12", "two words" and "True" would not read back as strings from a qmp-shell line.
    EXPECT_EQ(nlohmann::json::parse(q.arguments), sent["arguments"]) << text;
    EXPECT_EQ(q.shell_form, i == 0 || i == 3) << i;
    EXPECT_EQ(q.daemon_line, cmds[1].line);
  }
  EXPECT_EQ(std::get<impl::QmpCommand>(cmds[7].command).execute, "quit");
}

}  // namespace
}  // namespace chaincheck::oracle
