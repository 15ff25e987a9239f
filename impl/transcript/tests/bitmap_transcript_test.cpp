// qemu-img bitmap in bug-report transcripts: actions keep their command-line order.
#include <gtest/gtest.h>

#include "impl/transcript/transcript.hpp"

namespace chaincheck::impl {
namespace {

TEST(BitmapTranscript, ActionsKeepTheirOrderAndOptionsTheirValues) {
  auto cmds = parse_transcript(
      "$ qemu-img bitmap --add -g 64k --disable --merge=src -b other.qcow2 -F qcow2 -f qcow2 top.qcow2 b0\n");
  ASSERT_EQ(cmds.size(), 1u);
  const auto& b = std::get<QemuImgBitmap>(cmds[0].command);
  EXPECT_EQ(b.file, "top.qcow2");
  EXPECT_EQ(b.bitmap, "b0");
  EXPECT_EQ(b.format, std::optional<std::string>("qcow2"));
  ASSERT_EQ(b.actions.size(), 3u);
  EXPECT_EQ(b.actions[0].first, "add");
  EXPECT_EQ(b.actions[1].first, "disable");
  EXPECT_EQ(b.actions[2], (std::pair<std::string, std::string>{"merge", "src"}));
  EXPECT_EQ(b.granularity, std::optional<std::uint64_t>(65536));
  EXPECT_EQ(b.source_file, std::optional<std::string>("other.qcow2"));
  EXPECT_EQ(b.source_format, std::optional<std::string>("qcow2"));
}

TEST(BitmapTranscript, MissingOperandsAndUnknownOptionsNameTheLine) {
  try {
    parse_transcript("# first\nqemu-img bitmap --add top.qcow2\n");
    FAIL() << "accepted a bitmap command without a name";
  } catch (const TranscriptError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_transcript("qemu-img bitmap --frobnicate t.qcow2 b\n"), TranscriptError);
  EXPECT_THROW(parse_transcript("qemu-img bitmap --merge\n"), TranscriptError);
}

}  // namespace
}  // namespace chaincheck::impl
