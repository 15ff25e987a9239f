// QMP lines in transcripts: a qemu-storage-daemon with a monitor, then qmp-shell
// "(QEMU) ..." lines and raw JSON commands; replies are the reporter's output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "impl/transcript/transcript.hpp"

namespace chaincheck::impl {
namespace {

using nlohmann::json;

const std::string kDaemon =
    "qemu-storage-daemon --blockdev driver=qcow2,node-name=top,file.driver=file,file.filename=t.qcow2 \\\n"
    "  --chardev socket,id=m0,path=/tmp/q.sock,server=on,wait=off --monitor chardev=m0 \\\n"
    "  --nbd-server addr.type=unix,addr.path=/tmp/n.sock &\n";

const QmpCommand& qmp(const TranscriptCommand& c) { return std::get<QmpCommand>(c.command); }

TEST(QmpTranscript, MonitorSocketIsReadAndExportsBecomeOptional) {
  auto cmds = parse_transcript(kDaemon);
  ASSERT_EQ(cmds.size(), 1u);
  const auto& d = std::get<StorageDaemonRun>(cmds[0].command);
  ASSERT_TRUE(d.qmp_socket);
  EXPECT_EQ(*d.qmp_socket, "/tmp/q.sock");
  EXPECT_TRUE(d.exports.empty());
}

TEST(QmpTranscript, ShellLinesAreTypedTheWayQmpShellTypesThem) {
  auto cmds = parse_transcript(kDaemon +
                               "(QEMU) block-dirty-bitmap-add node=top name=b granularity=65536 persistent=True "
                               "x.y=-3 list=[\"a\",\"b\"] obj={\"k\":1} text=64k quoted=\"a b\"\n");
  ASSERT_EQ(cmds.size(), 2u);
  const QmpCommand& q = qmp(cmds[1]);
  EXPECT_TRUE(q.shell_form);
  EXPECT_EQ(q.execute, "block-dirty-bitmap-add");
  EXPECT_EQ(q.daemon_line, 1);
  json a = json::parse(q.arguments);
  EXPECT_EQ(a["granularity"], 65536);
  EXPECT_EQ(a["persistent"], true);
  EXPECT_EQ(a["x"]["y"], -3);
  EXPECT_EQ(a["list"], json::array({"a", "b"}));
  EXPECT_EQ(a["obj"]["k"], 1);
  EXPECT_EQ(a["text"], "64k");
  EXPECT_EQ(a["quoted"], "\"a b\"");  // qmp-shell keeps the quotes too
}

TEST(QmpTranscript, JsonLinesWithOrWithoutArrowAndRepliesAreOutput) {
  auto cmds = parse_transcript(kDaemon +
                               "{\"execute\": \"qmp_capabilities\"}\n"
                               "{\"return\": {}}\n"
                               "-> { \"execute\": \"block-stream\", \"arguments\": {\"device\": \"top\"} }\n"
                               "<- {\"return\": {}}\n"
                               "{\"timestamp\": {\"seconds\": 1}, \"event\": \"JOB_STATUS_CHANGE\"}\n"
                               "nbdinfo --map 'nbd+unix:///top?socket=/tmp/n.sock'\n");
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(qmp(cmds[1]).execute, "qmp_capabilities");
  EXPECT_FALSE(qmp(cmds[1]).shell_form);
  EXPECT_EQ(json::parse(qmp(cmds[1]).arguments), json::object());
  EXPECT_EQ(cmds[1].reported, std::vector<std::string>{"{\"return\": {}}"});
  EXPECT_EQ(qmp(cmds[2]).execute, "block-stream");
  EXPECT_EQ(json::parse(qmp(cmds[2]).arguments)["device"], "top");
  EXPECT_EQ(cmds[2].reported.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<NbdInfo>(cmds[3].command));
}

TEST(QmpTranscript, PromptedTranscriptsTakeQmpLinesWithoutTheDollarPrompt) {
  auto cmds = parse_transcript("$ " + kDaemon.substr(0, kDaemon.find('\n') + 1) +
                               "> " + kDaemon.substr(kDaemon.find('\n') + 1) +
                               "(QEMU) query-block-jobs\n"
                               "{\"return\": []}\n"
                               "$ nbdinfo --map 'nbd+unix:///top?socket=/tmp/n.sock'\n");
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(qmp(cmds[1]).execute, "query-block-jobs");
  EXPECT_EQ(cmds[1].reported, std::vector<std::string>{"{\"return\": []}"});
}

TEST(QmpTranscript, QmpShellVerboseEchoIsOutputNotASecondCommand) {
  auto cmds = parse_transcript(kDaemon +
                               "(QEMU) block-stream device=top job-id=j0\n"
                               "{\"execute\": \"block-stream\", \"arguments\": {\"job-id\": \"j0\", \"device\": \"top\"}}\n"
                               "{\"return\": {}}\n"
                               "{\"execute\": \"block-stream\", \"arguments\": {\"device\": \"top\"}}\n");
  ASSERT_EQ(cmds.size(), 3u);  // the echo is folded; a different command is not
  EXPECT_EQ(cmds[1].reported.size(), 2u);
  EXPECT_EQ(qmp(cmds[2]).execute, "block-stream");
}

TEST(QmpTranscript, QmpLinesTalkToTheLastDaemonWithAMonitor) {
  auto cmds = parse_transcript(kDaemon + "(QEMU) query-version\n" +
                               "qemu-storage-daemon --blockdev driver=file,filename=a,node-name=n "
                               "--nbd-server addr.type=unix,addr.path=s --export type=nbd,id=e,node-name=n &\n" +
                               "\n" + kDaemon + "(QEMU) quit\n");
  ASSERT_EQ(cmds.size(), 5u);
  EXPECT_EQ(qmp(cmds[1]).daemon_line, 1);
  EXPECT_EQ(qmp(cmds[4]).daemon_line, 7);
}

void expect_error(const std::string& text, const std::string& line, const std::string& what) {
  try {
    parse_transcript(text);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const TranscriptError& e) {
    EXPECT_NE(std::string(e.what()).find(line), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(QmpTranscript, IllFormedLinesAreRefusedNamingTheLine) {
  expect_error(kDaemon + "{\"execute\": \"quit\"\n", "line 4", "not valid JSON");
  expect_error(kDaemon + "-> {\"arguments\": {}}\n", "line 4", "no \"execute\"");
  expect_error(kDaemon + "{\"execute\": 3}\n", "line 4", "no \"execute\"");
  expect_error(kDaemon + "{\"execute\": \"quit\", \"argument\": {}}\n", "line 4", "unexpected member");
  expect_error(kDaemon + "{\"execute\": \"quit\", \"arguments\": []}\n", "line 4", "must be an object");
  expect_error(kDaemon + "(QEMU) block-stream device\n", "line 4", "key=value");
  expect_error(kDaemon + "{\n  \"execute\": \"quit\"\n}\n", "line 5", "split over several lines");
  expect_error(kDaemon + "(QEMU) block-stream a=1 a=2\n", "line 4", "multiple times");
  expect_error(kDaemon + "(QEMU) block-stream a=1 a.b=2\n", "line 4", "leaf");
  expect_error(kDaemon + "(QEMU) block-stream a={broken\n", "line 4", "not valid JSON");
  expect_error(kDaemon + "(QEMU) block-stream a=\"open\n", "line 4", "unterminated quote");
  expect_error("qemu-img create -f qcow2 t.qcow2 1M\n(QEMU) query-block-jobs\n", "line 2",
               "without a qemu-storage-daemon");
  expect_error("{\"execute\": \"quit\"}\n", "line 1", "without a qemu-storage-daemon");
}

TEST(QmpTranscript, CommandsThatListenOutsideTheWorkspaceAreRefused) {
  expect_error(kDaemon + "(QEMU) nbd-server-start addr={\"type\":\"inet\",\"data\":{\"host\":\"0.0.0.0\",\"port\":\"10809\"}}\n",
               "line 4", "nbd-server-start");
  expect_error(kDaemon + "{\"execute\": \"chardev-add\", \"arguments\": {}}\n", "line 4", "chardev-add");
  expect_error(kDaemon + "(QEMU) block-export-add type=fuse id=f node-name=top mountpoint=/mnt\n", "line 4", "only type nbd");
  // A type that is no string is refused the same way (not an exception of nlohmann's).
  expect_error(kDaemon + "{\"execute\": \"block-export-add\", \"arguments\": {\"type\": 3}}\n", "line 4", "only type nbd");
}

TEST(QmpTranscript, BadMonitorsAreRefusedNamingTheLine) {
  const std::string graph =
      "qemu-storage-daemon --blockdev driver=file,filename=a,node-name=n --nbd-server addr.type=unix,addr.path=s ";
  expect_error(graph + "--chardev socket,id=m,host=0.0.0.0,port=4444,server=on,wait=off --monitor chardev=m\n", "line 1",
               "not supported");
  expect_error(graph + "--chardev socket,id=m,path=q,server=on,wait=on --monitor chardev=m\n", "line 1", "wait=off");
  expect_error(graph + "--chardev socket,id=m,path=q,server=on,wait=off --monitor chardev=other\n", "line 1", "names no");
  expect_error(graph + "--chardev socket,id=m,path=q,server=on,wait=off\n", "line 1", "exactly one");
  expect_error(graph + "--chardev stdio,id=m --monitor chardev=m\n", "line 1", "only a socket");
  // Without a monitor an export is still required.
  expect_error(graph + "\n", "line 1", "at least one --export");
}

TEST(QmpTranscript, LegacyServerNowaitFlagsAreAccepted) {
  auto cmds = parse_transcript(
      "qemu-storage-daemon --blockdev driver=file,filename=a,node-name=n --nbd-server addr.type=unix,addr.path=s "
      "--chardev socket,id=m,path=q.sock,server,nowait --monitor chardev=m,mode=control\n");
  EXPECT_EQ(std::get<StorageDaemonRun>(cmds[0].command).qmp_socket, std::optional<std::string>("q.sock"));
}

TEST(QmpTranscript, GrammarNamesBothForms) {
  std::string g = supported_grammar();
  EXPECT_NE(g.find("(QEMU) COMMAND"), std::string::npos);
  EXPECT_NE(g.find("'-> '"), std::string::npos);
  EXPECT_NE(g.find("--monitor chardev=ID"), std::string::npos);
}

}  // namespace
}  // namespace chaincheck::impl
