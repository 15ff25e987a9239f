// Bitmaps in chain-operation and qemu-storage-daemon transcripts: qemu-img convert
// --bitmaps, and --export ...,bitmaps.0=NAME,bitmaps.1=NAME (QAPI keyval lists, in order).
#include <gtest/gtest.h>

#include "impl/transcript/transcript.hpp"

namespace chaincheck::impl {
namespace {

TEST(ChainBitmapsTranscript, ConvertBitmapsIsRead) {
  auto cmds = parse_transcript(
      "qemu-img convert -f qcow2 -O qcow2 --bitmaps top.qcow2 out.qcow2\n"
      "qemu-img convert -f qcow2 -O qcow2 top.qcow2 plain.qcow2\n");
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_TRUE(std::get<model::ConvertStep>(std::get<QemuImgChainOp>(cmds[0].command).step).options.bitmaps);
  EXPECT_FALSE(std::get<model::ConvertStep>(std::get<QemuImgChainOp>(cmds[1].command).step).options.bitmaps);
}

TEST(ChainBitmapsTranscript, ExportBitmapsAreReadInOrder) {
  auto cmds = parse_transcript(
      "qemu-storage-daemon --blockdev driver=qcow2,file.driver=file,file.filename=t.qcow2,node-name=t "
      "--nbd-server addr.type=unix,addr.path=s --export type=nbd,id=e,node-name=t,bitmaps.0=b,bitmaps.1=a\n");
  ASSERT_EQ(cmds.size(), 1u);
  const auto& d = std::get<StorageDaemonRun>(cmds[0].command);
  ASSERT_EQ(d.exports.size(), 1u);
  EXPECT_EQ(d.exports[0].bitmaps, (std::vector<std::string>{"b", "a"}));
}

TEST(ChainBitmapsTranscript, AnExportBitmapOutOfOrderNamesTheLine) {
  try {
    parse_transcript(
        "# first\nqemu-storage-daemon --blockdev driver=qcow2,file.driver=file,file.filename=t.qcow2,node-name=t "
        "--nbd-server addr.type=unix,addr.path=s --export type=nbd,id=e,node-name=t,bitmaps.1=a\n");
    FAIL() << "accepted bitmaps.1 without bitmaps.0";
  } catch (const TranscriptError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chaincheck::impl
