#include <gtest/gtest.h>

#include "impl/process/versions.hpp"

namespace chaincheck::impl {
namespace {

// First lines of `--version` as printed by the tools on Debian 12.
TEST(ParseVersionLine, ReadsTheFirstDottedNumber) {
  EXPECT_EQ(parse_version_line("qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"), "7.2.22");
  EXPECT_EQ(parse_version_line("qemu-nbd 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"), "7.2.22");
  EXPECT_EQ(parse_version_line("nbdkit 1.32.5"), "1.32.5");
  EXPECT_EQ(parse_version_line("libnbd 1.14.2"), "1.14.2");
  EXPECT_EQ(parse_version_line("truncate (GNU coreutils) 9.1"), "9.1");
}

TEST(ParseVersionLine, IgnoresDigitsInsideWordsAndLinesWithoutAVersion) {
  EXPECT_EQ(parse_version_line("x86_64 build 3 of 7.1.0"), "7.1.0");
  EXPECT_EQ(parse_version_line("qemu-img version unknown"), "");
  EXPECT_EQ(parse_version_line(""), "");
  EXPECT_EQ(parse_version_line("release 12."), "");
}

}  // namespace
}  // namespace chaincheck::impl
