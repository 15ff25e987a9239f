// nbdkit lines in transcripts: the file and nbd plugins, the blocksize and
// blocksize-policy filters; everything else refused with the line named.
#include <gtest/gtest.h>

#include "impl/transcript/transcript.hpp"

namespace chaincheck::impl {
namespace {

const char* kQemuNbd = "qemu-img create -f qcow2 top.qcow2 1M\nqemu-nbd -r -t -k q.sock -f qcow2 top.qcow2 &\n";

TEST(NbdkitTranscript, NbdPluginBehindBlocksizeNamesAnEarlierQemuNbdSocket) {
  auto cmds = parse_transcript(std::string(kQemuNbd) +
                               "nbdkit -U k.sock -f --exit-with-parent --filter=blocksize nbd socket=q.sock "
                               "minblock=4k maxdata=1M &\n");
  ASSERT_EQ(cmds.size(), 3u);
  const auto& k = std::get<NbdkitRun>(cmds[2].command);
  EXPECT_EQ(k.plugin, NbdkitRun::Plugin::Nbd);
  EXPECT_EQ(k.socket, std::optional<std::string>("k.sock"));
  EXPECT_EQ(k.nbd_socket, "q.sock");
  EXPECT_EQ(k.filters, std::vector<std::string>{"blocksize"});
  EXPECT_EQ(k.minblock, std::optional<std::uint64_t>(4096));
  ASSERT_EQ(k.params.size(), 2u);
  EXPECT_EQ(k.params[1], (std::pair<std::string, std::string>{"maxdata", "1M"}));
  EXPECT_TRUE(k.background);
  EXPECT_EQ(k.describe(), "nbdkit --filter=blocksize(minblock=4096) nbd");
}

TEST(NbdkitTranscript, FilePluginTakesABareFileOrFileEquals) {
  auto a = parse_transcript("nbdkit -r -U f.sock file disk.raw\n");
  const auto& k = std::get<NbdkitRun>(a[0].command);
  EXPECT_EQ(k.plugin, NbdkitRun::Plugin::File);
  EXPECT_EQ(k.file, "disk.raw");
  EXPECT_TRUE(k.read_only);
  auto b = parse_transcript("nbdkit --unix=f.sock --filter blocksize file file=disk.raw minblock=512\n");
  EXPECT_EQ(std::get<NbdkitRun>(b[0].command).file, "disk.raw");
  EXPECT_EQ(std::get<NbdkitRun>(b[0].command).socket, std::optional<std::string>("f.sock"));
}

TEST(NbdkitTranscript, BlocksizePolicyMinimumIsRead) {
  auto cmds = parse_transcript(std::string(kQemuNbd) +
                               "nbdkit -U p.sock --filter=blocksize-policy nbd socket=/somewhere/q.sock "
                               "blocksize-minimum=4096 export=''\n");
  const auto& k = std::get<NbdkitRun>(cmds[2].command);
  EXPECT_EQ(k.policy_minimum, std::optional<std::uint64_t>(4096));
  EXPECT_EQ(k.describe(), "nbdkit --filter=blocksize-policy(blocksize-minimum=4096) nbd");
}

TEST(NbdkitTranscript, StorageDaemonSocketsCountAsEarlierServers) {
  auto cmds = parse_transcript(
      "qemu-storage-daemon --blockdev driver=file,filename=a.raw,node-name=f "
      "--nbd-server addr.type=unix,addr.path=qsd.sock --export type=nbd,id=e,node-name=f,name=export &\n"
      "nbdkit -U k.sock nbd socket=qsd.sock export=export\n");
  EXPECT_EQ(std::get<NbdkitRun>(cmds[1].command).nbd_export, "export");
}

void expect_refused(const std::string& text, int line, const std::string& words) {
  try {
    parse_transcript(text);
    FAIL() << "accepted: " << text;
  } catch (const TranscriptError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(NbdkitTranscript, UnsupportedPluginsFiltersOptionsAndParametersAreRefusedWithTheLine) {
  expect_refused("truncate -s 1M a.raw\nnbdkit -U k.sock memory size=1M\n", 2, "plugin 'memory' is not supported");
  expect_refused("nbdkit -U k.sock --filter=cow file a.raw\n", 1, "filter 'cow' is not supported");
  expect_refused("nbdkit -U k.sock --filter=blocksize --filter=blocksize file a.raw\n", 1, "only one filter");
  expect_refused("nbdkit -p 10809 file a.raw\n", 1, "option '-p' is not supported");
  expect_refused("nbdkit -U - file a.raw\n", 1, "name the socket");
  expect_refused("nbdkit -U k.sock file a.raw cache=none\n", 1, "parameter 'cache' is not supported");
  expect_refused("nbdkit -U k.sock file\n", 1, "needs file=FILE");
  expect_refused("nbdkit -U k.sock\n", 1, "needs a plugin");
  expect_refused("nbdkit -U k.sock --filter=blocksize file a.raw minblock=3000\n", 1, "not a power of two");
  expect_refused("nbdkit -U k.sock nbd hostname=example.com\n", 1, "parameter 'hostname' is not supported");
  expect_refused("nbdkit -U k.sock nbd export=x\n", 1, "needs socket=");
}

TEST(NbdkitTranscript, NbdPluginSocketMustBelongToAnEarlierServerLine) {
  // No server at all; a server only after it; nbdkit's own socket does not count.
  expect_refused("nbdkit -U k.sock nbd socket=q.sock\n", 1, "socket=q.sock is not the socket");
  expect_refused(std::string("qemu-img create -f raw a.raw 1M\nnbdkit -U k.sock nbd socket=q.sock\n") +
                     "qemu-nbd -k q.sock -f raw a.raw &\n",
                 2, "socket=q.sock is not the socket");
  expect_refused(std::string(kQemuNbd) + "nbdkit -U k.sock nbd socket=q.sock &\nnbdkit -U j.sock nbd socket=k.sock\n",
                 4, "socket=k.sock");
}

}  // namespace
}  // namespace chaincheck::impl
