// qemu-storage-daemon command lines in transcripts: --blockdev (JSON or key=value),
// --nbd-server on a unix socket only, --export.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "impl/transcript/transcript.hpp"

namespace chaincheck::impl {
namespace {

TEST(StorageDaemonTranscript, BlockdevsExportsAndSocketAreRead) {
  auto cmds = parse_transcript(
      "qemu-storage-daemon --object throttle-group,id=tg0 \\\n"
      "  --blockdev '{\"driver\":\"file\",\"filename\":\"base.qcow2\",\"node-name\":\"f\"}' \\\n"
      "  --blockdev driver=blkdebug,image=f,align=4096,node-name=d \\\n"
      "  --blockdev driver=qcow2,file=d,backing=,node-name=top \\\n"
      "  --nbd-server addr.type=unix,addr.path=/tmp/q.sock \\\n"
      "  --export type=nbd,id=e0,node-name=top,allocation-depth=on &\n");
  ASSERT_EQ(cmds.size(), 1u);
  const auto& d = std::get<StorageDaemonRun>(cmds[0].command);
  EXPECT_TRUE(d.background);
  EXPECT_EQ(d.objects, std::vector<std::string>{"throttle-group,id=tg0"});
  ASSERT_EQ(d.blockdevs.size(), 3u);
  auto dbg = nlohmann::json::parse(d.blockdevs[1]);
  EXPECT_EQ(dbg["align"], "4096");          // key=value stays text; QEMU types it
  EXPECT_EQ(d.blockdev_args[1], "driver=blkdebug,image=f,align=4096,node-name=d");
  EXPECT_TRUE(nlohmann::json::parse(d.blockdevs[2])["backing"].is_null());  // backing= means none
  EXPECT_EQ(d.socket, "/tmp/q.sock");
  ASSERT_EQ(d.exports.size(), 1u);
  EXPECT_EQ(d.exports[0].node, "top");
  EXPECT_EQ(d.exports[0].name, "top");  // defaults to the node name
  EXPECT_TRUE(d.exports[0].allocation_depth);
  EXPECT_FALSE(d.exports[0].writable);
}

TEST(StorageDaemonTranscript, DottedKeysNestAndDoubledCommasAreLiteral) {
  auto cmds = parse_transcript(
      "qemu-storage-daemon --blockdev driver=qcow2,node-name=n,file.driver=file,file.filename=a,,b.qcow2 "
      "--nbd-server addr.type=unix,addr.path=s --export type=nbd,id=e,node-name=n\n");
  auto j = nlohmann::json::parse(std::get<StorageDaemonRun>(cmds[0].command).blockdevs[0]);
  EXPECT_EQ(j["file"]["driver"], "file");
  EXPECT_EQ(j["file"]["filename"], "a,b.qcow2");
}

TEST(StorageDaemonTranscript, RefusesTcpAndMissingPartsNamingTheLine) {
  const char* bad[] = {
      "qemu-storage-daemon --blockdev driver=file,filename=a,node-name=n --nbd-server addr.type=inet,addr.host=0.0.0.0,addr.port=10809 --export type=nbd,id=e,node-name=n\n",
      "qemu-storage-daemon --blockdev driver=file,filename=a,node-name=n --export type=nbd,id=e,node-name=n\n",
      "qemu-storage-daemon --blockdev driver=file,filename=a,node-name=n --nbd-server addr.type=unix,addr.path=s\n",
      "qemu-storage-daemon --blockdev driver=file,filename=a,node-name=n --nbd-server addr.type=unix,addr.path=s --export type=nbd,id=e,node-name=n,writable=maybe\n",
      "qemu-storage-daemon --blockdev driver=blkdebug,image=f,image.driver=file,node-name=n --nbd-server addr.type=unix,addr.path=s --export type=nbd,id=e,node-name=n\n",
      "qemu-storage-daemon --blockdev '{broken' --nbd-server addr.type=unix,addr.path=s --export type=nbd,id=e,node-name=n\n",
  };
  for (const char* t : bad) {
    try {
      parse_transcript(t);
      ADD_FAILURE() << "accepted: " << t;
    } catch (const TranscriptError& e) {
      EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace chaincheck::impl
