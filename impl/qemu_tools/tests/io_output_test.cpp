// qemu-io output parsing, on output captured from qemu-io 7.2.22 (Debian 12).
#include <gtest/gtest.h>

#include "impl/qemu_tools/io_output.hpp"

namespace chaincheck::impl {
namespace {

using Kind = QemuIoCommand::Kind;

QemuIoCommand cmd(Kind kind, std::uint64_t offset = 0, std::uint64_t length = 0,
                  std::optional<std::uint8_t> pattern = std::nullopt) {
  QemuIoCommand c;
  c.kind = kind;
  c.offset = offset;
  c.length = length;
  c.pattern = pattern;
  return c;
}

QemuIoCommand alloc(std::uint64_t offset, std::optional<std::uint64_t> count = std::nullopt) {
  QemuIoCommand c = cmd(Kind::Alloc, offset);
  c.count = count;
  return c;
}

// qemu-io -f raw -c "write -P 65 0 65536" -c "write -P 66 65536 65536"
//         -c "write -P 67 131072 65536" base.raw
constexpr const char* kSeedWrites = R"(wrote 65536/65536 bytes at offset 0
64 KiB, 1 ops; 00.00 sec (14.010 MiB/sec and 224.1628 ops/sec)
wrote 65536/65536 bytes at offset 65536
64 KiB, 1 ops; 00.00 sec (17.258 MiB/sec and 276.1325 ops/sec)
wrote 65536/65536 bytes at offset 131072
64 KiB, 1 ops; 00.00 sec (16.267 MiB/sec and 260.2697 ops/sec)
)";

// qemu-io -f qcow2 top.qcow2 (seed state) with, in order:
//   read -P 69 65536 65536 | read -P 1 0 65536 | write -P 1 307200 4096 | map |
//   alloc 0 262144 | discard 0 1048576 | alloc 65536 | write -z -u 0 4096 |
//   write -c 0 65536 | read 0 512
// (exit status 1, nothing on stderr)
constexpr const char* kMixed = R"(read 65536/65536 bytes at offset 65536
64 KiB, 1 ops; 00.00 sec (67.006 MiB/sec and 1072.0883 ops/sec)
Pattern verification failed at offset 0, 65536 bytes
read 65536/65536 bytes at offset 0
64 KiB, 1 ops; 00.00 sec (132.200 MiB/sec and 2115.2069 ops/sec)
write failed: Input/output error
64 KiB (0x10000) bytes not allocated at offset 0 bytes (0x0)
128 KiB (0x20000) bytes     allocated at offset 64 KiB (0x10000)
64 KiB (0x10000) bytes not allocated at offset 192 KiB (0x30000)
131072/262144 bytes allocated at offset 0 bytes
discard failed: Input/output error
512/512 bytes allocated at offset 64 KiB
wrote 4096/4096 bytes at offset 0
4 KiB, 1 ops; 00.01 sec (457.943 KiB/sec and 114.4859 ops/sec)
write failed: Input/output error
read 512/512 bytes at offset 0
512 bytes, 1 ops; 00.00 sec (107.820 KiB/sec and 215.6410 ops/sec)
)";

std::vector<QemuIoCommand> mixed_commands() {
  QemuIoCommand zero = cmd(Kind::WriteZeroes, 0, 4096);
  zero.unmap = true;
  return {cmd(Kind::Read, 65536, 65536, 69), cmd(Kind::Read, 0, 65536, 1), cmd(Kind::Write, 307200, 4096, 1),
          cmd(Kind::Map),  alloc(0, 262144), cmd(Kind::Discard, 0, 1048576), alloc(65536), zero,
          cmd(Kind::WriteCompressed, 0, 65536), cmd(Kind::Read, 0, 512)};
}

TEST(QemuIoTimingLine, RecognisesStatisticsLinesOnly) {
  EXPECT_TRUE(is_qemu_io_timing_line("64 KiB, 1 ops; 00.00 sec (51.442 MiB/sec and 823.0758 ops/sec)"));
  EXPECT_TRUE(is_qemu_io_timing_line("512 bytes, 1 ops; 00.00 sec (1.714 MiB/sec and 3510.3608 ops/sec)"));
  EXPECT_FALSE(is_qemu_io_timing_line("wrote 65536/65536 bytes at offset 0"));
  EXPECT_FALSE(is_qemu_io_timing_line("131072/262144 bytes allocated at offset 0 bytes"));
}

TEST(QemuIoMapLine, ReadsHexLengthAndStart) {
  EXPECT_EQ(parse_qemu_io_map_line("64 KiB (0x10000) bytes not allocated at offset 0 bytes (0x0)"),
            (QemuIoMapLine{0, 65536, false}));
  EXPECT_EQ(parse_qemu_io_map_line("128 KiB (0x20000) bytes     allocated at offset 64 KiB (0x10000)"),
            (QemuIoMapLine{65536, 131072, true}));
  // Human sizes are rounded; the hex is exact.
  EXPECT_EQ(parse_qemu_io_map_line("2.997 GiB (0xbfd00000) bytes not allocated at offset 1.003 GiB (0x40300000)"),
            (QemuIoMapLine{0x40300000, 0xbfd00000, false}));
  EXPECT_EQ(parse_qemu_io_map_line("1023.938 MiB (0x3fff0000) bytes not allocated at offset 4 GiB (0x100010000)"),
            (QemuIoMapLine{0x100010000, 0x3fff0000, false}));
}

TEST(QemuIoMapLine, RejectsOtherLines) {
  EXPECT_FALSE(parse_qemu_io_map_line("131072/262144 bytes allocated at offset 0 bytes"));
  EXPECT_FALSE(parse_qemu_io_map_line("wrote 65536/65536 bytes at offset 0"));
  EXPECT_FALSE(parse_qemu_io_map_line("64 KiB (0x10000) bytes allocated at offset 0 bytes (0x0)"));  // 1 space
  EXPECT_FALSE(parse_qemu_io_map_line("64 KiB (0xzz) bytes not allocated at offset 0 bytes (0x0)"));
  EXPECT_FALSE(parse_qemu_io_map_line("64 KiB (0x10000) bytes not allocated at offset 0 bytes (0x0"));
  EXPECT_FALSE(parse_qemu_io_map_line(""));
}

TEST(QemuIoMapText, CollectsEveryMapLine) {
  const char* text = R"(1 GiB (0x40000000) bytes not allocated at offset 0 bytes (0x0)
3 MiB (0x300000) bytes     allocated at offset 1 GiB (0x40000000)
2.997 GiB (0xbfd00000) bytes not allocated at offset 1.003 GiB (0x40300000)
64 KiB (0x10000) bytes     allocated at offset 4 GiB (0x100000000)
1023.938 MiB (0x3fff0000) bytes not allocated at offset 4 GiB (0x100010000)
)";
  std::vector<QemuIoMapLine> expected = {{0, 0x40000000, false},
                                         {0x40000000, 0x300000, true},
                                         {0x40300000, 0xbfd00000, false},
                                         {0x100000000, 0x10000, true},
                                         {0x100010000, 0x3fff0000, false}};
  EXPECT_EQ(parse_qemu_io_map(text), expected);
}

TEST(QemuIoAllocLine, ReadsAllocatedAndCount) {
  EXPECT_EQ(parse_qemu_io_alloc_line("196608/2097152 bytes allocated at offset 0 bytes"),
            (QemuIoAlloc{196608, 2097152, "0 bytes"}));
  EXPECT_EQ(parse_qemu_io_alloc_line("0/0 bytes allocated at offset 1 MiB"), (QemuIoAlloc{0, 0, "1 MiB"}));
  EXPECT_EQ(parse_qemu_io_alloc_line("3211264/5368709120 bytes allocated at offset 0 bytes"),
            (QemuIoAlloc{3211264, 5368709120ull, "0 bytes"}));
  EXPECT_FALSE(parse_qemu_io_alloc_line("wrote 512/512 bytes at offset 0"));
  EXPECT_FALSE(parse_qemu_io_alloc_line("is_allocated failed: Invalid argument"));
  EXPECT_FALSE(parse_qemu_io_alloc_line("1/x bytes allocated at offset 0 bytes"));
}

TEST(QemuIoCommandText, IsWhatQemuIoAccepts) {
  EXPECT_EQ(cmd(Kind::Write, 0, 65536, 65).text(), "write -P 65 0 65536");
  QemuIoCommand z = cmd(Kind::WriteZeroes, 131072, 65536);
  EXPECT_EQ(z.text(), "write -z 131072 65536");
  z.unmap = true;
  EXPECT_EQ(z.text(), "write -z -u 131072 65536");
  EXPECT_EQ(cmd(Kind::WriteCompressed, 0, 65536).text(), "write -c 0 65536");
  EXPECT_EQ(cmd(Kind::WriteCompressed, 0, 65536, 3).text(), "write -c -P 3 0 65536");
  EXPECT_EQ(cmd(Kind::Discard, 4096, 512).text(), "discard 4096 512");
  EXPECT_EQ(cmd(Kind::Read, 0, 512, 0).text(), "read -P 0 0 512");
  EXPECT_EQ(cmd(Kind::Read, 0, 512).text(), "read 0 512");
  EXPECT_EQ(cmd(Kind::Map).text(), "map");
  EXPECT_EQ(alloc(65536).text(), "alloc 65536");
  EXPECT_EQ(alloc(0, 262144).text(), "alloc 0 262144");
}

TEST(ParseQemuIoOutput, SeedWritesAllSucceed) {
  std::vector<QemuIoCommand> cmds = {cmd(Kind::Write, 0, 65536, 65), cmd(Kind::Write, 65536, 65536, 66),
                                     cmd(Kind::Write, 131072, 65536, 67)};
  QemuIoOutput out = parse_qemu_io_output(cmds, kSeedWrites, "");
  ASSERT_EQ(out.commands.size(), 3u);
  for (const auto& r : out.commands) {
    EXPECT_TRUE(r.ok) << r.command.text() << ": " << r.error;
    EXPECT_EQ(r.bytes, 65536u);
    ASSERT_EQ(r.output.size(), 1u);  // the timing line is gone
  }
  EXPECT_EQ(out.commands[2].output[0], "wrote 65536/65536 bytes at offset 131072");
  EXPECT_TRUE(out.unexplained.empty());
}

TEST(ParseQemuIoOutput, AttributesEachFailureToItsCommand) {
  QemuIoOutput out = parse_qemu_io_output(mixed_commands(), kMixed, "");
  ASSERT_EQ(out.commands.size(), 10u);
  const auto& c = out.commands;
  EXPECT_TRUE(c[0].ok);
  EXPECT_FALSE(c[1].ok);
  EXPECT_EQ(c[1].error, "Pattern verification failed at offset 0, 65536 bytes");
  EXPECT_FALSE(c[2].ok);
  EXPECT_EQ(c[2].error, "write failed: Input/output error");
  EXPECT_TRUE(c[3].ok);
  EXPECT_EQ(c[3].map, (std::vector<QemuIoMapLine>{{0, 65536, false}, {65536, 131072, true}, {196608, 65536, false}}));
  EXPECT_TRUE(c[4].ok);
  EXPECT_EQ(c[4].alloc, (QemuIoAlloc{131072, 262144, "0 bytes"}));
  EXPECT_FALSE(c[5].ok);
  EXPECT_EQ(c[5].error, "discard failed: Input/output error");
  EXPECT_TRUE(c[6].ok);
  EXPECT_EQ(c[6].alloc, (QemuIoAlloc{512, 512, "64 KiB"}));
  EXPECT_TRUE(c[7].ok);
  EXPECT_EQ(c[7].bytes, 4096u);
  EXPECT_FALSE(c[8].ok);
  EXPECT_EQ(c[8].error, "write failed: Input/output error");
  EXPECT_TRUE(c[9].ok);
  EXPECT_EQ(c[9].bytes, 512u);
  EXPECT_TRUE(out.unexplained.empty());
}

TEST(ParseQemuIoOutput, CommandThatPrintedNothingTakesItsReasonFromStderr) {
  // Image could not be opened: no command ran.
  QemuIoOutput out = parse_qemu_io_output(
      {cmd(Kind::Write, 0, 512, 1), alloc(0)}, "",
      "qemu-io: can't open device nonexist.qcow2: Could not open 'nonexist.qcow2': No such file or directory\n");
  ASSERT_EQ(out.commands.size(), 2u);
  for (const auto& r : out.commands) {
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, "qemu-io: can't open device nonexist.qcow2: Could not open "
                       "'nonexist.qcow2': No such file or directory");
  }
}

TEST(ParseQemuIoOutput, StderrOnlyFailuresGoToTheSilentCommandsInOrder) {
  // qemu-io -r: writes fail on stderr only ("qemu-io: Block node is read-only").
  QemuIoOutput out = parse_qemu_io_output(
      {cmd(Kind::Write, 0, 512, 1), alloc(0), cmd(Kind::Discard, 0, 512)},
      "512/512 bytes allocated at offset 0 bytes\n",
      "qemu-io: Block node is read-only\nqemu-io: discard: some other reason\n");
  EXPECT_EQ(out.commands[0].error, "qemu-io: Block node is read-only");
  EXPECT_TRUE(out.commands[1].ok);
  EXPECT_EQ(out.commands[2].error, "qemu-io: discard: some other reason");
  QemuIoOutput silent = parse_qemu_io_output({alloc(0)}, "", "");
  EXPECT_EQ(silent.commands[0].error, "qemu-io printed no result for it");
}

TEST(ParseQemuIoOutput, ANeighboursResultIsNeverTakenAsAnError) {
  // The first write printed nothing on stdout; the next line belongs to the second write.
  QemuIoOutput out = parse_qemu_io_output({cmd(Kind::Write, 0, 512, 1), cmd(Kind::Write, 512, 512, 2)},
                                          "wrote 512/512 bytes at offset 512\n", "");
  EXPECT_FALSE(out.commands[0].ok);
  EXPECT_TRUE(out.commands[1].ok);
  EXPECT_EQ(out.commands[1].bytes, 512u);
}

TEST(ParseQemuIoOutput, ArgumentErrorsOnStdoutFailTheCommand) {
  // Real qemu-io lines for a bad length and a bad pattern byte.
  QemuIoOutput out = parse_qemu_io_output(
      {cmd(Kind::Write, 0, 512, 1), cmd(Kind::Write, 0, 512, 1), alloc(0, 1024)},
      "Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- x\n300 is not a valid pattern "
      "byte\n1024/1024 bytes allocated at offset 0 bytes\n",
      "");
  EXPECT_EQ(out.commands[0].error, "Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- x");
  EXPECT_EQ(out.commands[1].error, "300 is not a valid pattern byte");
  EXPECT_TRUE(out.commands[2].ok);
}

TEST(ParseQemuIoOutput, MapErrorsOnStderrFailTheMap) {
  QemuIoOutput out = parse_qemu_io_output(
      {cmd(Kind::Map), alloc(0)}, "64 KiB (0x10000) bytes     allocated at offset 0 bytes (0x0)\n0/512 bytes allocated at offset 0 bytes\n",
      "qemu-io: Failed to get allocation status: Input/output error\n");
  EXPECT_FALSE(out.commands[0].ok);
  EXPECT_EQ(out.commands[0].error, "qemu-io: Failed to get allocation status: Input/output error");
  EXPECT_EQ(out.commands[0].map.size(), 1u);
  EXPECT_TRUE(out.commands[1].ok);
}

TEST(ParseQemuIoOutput, EmptyImageMapPrintsNothingAndSucceeds) {
  QemuIoOutput out = parse_qemu_io_output({cmd(Kind::Map), alloc(0)}, "0/0 bytes allocated at offset 0 bytes\n", "");
  EXPECT_TRUE(out.commands[0].ok);
  EXPECT_TRUE(out.commands[0].map.empty());
  EXPECT_EQ(out.commands[1].alloc, (QemuIoAlloc{0, 0, "0 bytes"}));
}

TEST(ParseQemuIoOutput, LeftoverOutputIsUnexplained) {
  QemuIoOutput out = parse_qemu_io_output({alloc(0)}, "512/512 bytes allocated at offset 0 bytes\nsurprise\n", "");
  EXPECT_TRUE(out.commands[0].ok);
  EXPECT_EQ(out.unexplained, std::vector<std::string>{"surprise"});
}

TEST(ParseQemuIoOutput, ShortTransferIsAFailure) {
  QemuIoOutput out = parse_qemu_io_output({cmd(Kind::Read, 0, 4096)}, "read 512/4096 bytes at offset 0\n", "");
  EXPECT_FALSE(out.commands[0].ok);
  EXPECT_EQ(out.commands[0].bytes, 512u);
  EXPECT_EQ(out.commands[0].error, "short read: read 512/4096 bytes at offset 0");
}

}  // namespace
}  // namespace chaincheck::impl
