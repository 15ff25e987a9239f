#include "impl/transcript/transcript.hpp"

#include <gtest/gtest.h>

namespace chaincheck::impl {
namespace {

// Seed 004's reproducer, as posted (prompts, comments, reporter output).
const char* kSeed004 = R"(    # Create a qcow2 image with a raw backing file:
    $ qemu-img create base.raw $((4*64*1024))
    $ qemu-img create -f qcow2 -b base.raw -F raw top.qcow2

    # Write to first 3 clusters of base:
    $ qemu-io -f raw -c "write -P 65 0 64k" base.raw
    $ qemu-io -f raw -c "write -P 66 64k 64k" base.raw
    $ qemu-io -f raw -c "write -P 67 128k 64k" base.raw

    # Write to second cluster of top, hiding second cluster of base:
    $ qemu-io -f qcow2 -c "write -P 69 64k 64k" top.qcow2

    # Write zeroes to third cluster of top, hiding third cluster of base:
    $ qemu-io -f qcow2 -c "write -z 128k 64k" top.qcow2
    $ qemu-nbd -r -t -f qcow2 top.qcow2 &
    $ nbdinfo --map nbd://localhost
             0      131072    0  allocated
        131072      131072    3  hole,zero
)";

TEST(Transcript, ReadsTheSeed004Reproducer) {
  auto cmds = parse_transcript(kSeed004);
  ASSERT_EQ(cmds.size(), 9u);
  auto& create = std::get<QemuImgCreate>(cmds[0].command);
  EXPECT_EQ(cmds[0].line, 2);
  EXPECT_EQ(create.file, "base.raw");
  EXPECT_EQ(create.size, 262144u);
  auto& top = std::get<QemuImgCreate>(cmds[1].command);
  EXPECT_EQ(top.backing, "base.raw");
  EXPECT_EQ(top.backing_format, "raw");
  EXPECT_FALSE(top.size);
  auto& io = std::get<QemuIo>(cmds[6].command);
  ASSERT_EQ(io.commands.size(), 1u);
  EXPECT_EQ(io.commands[0].kind, IoCommand::Kind::WriteZeroes);
  EXPECT_EQ(io.commands[0].offset, 131072u);
  auto& nbd = std::get<QemuNbd>(cmds[7].command);
  EXPECT_TRUE(nbd.background && nbd.read_only && nbd.persistent);
  auto& info = std::get<NbdInfo>(cmds[8].command);
  EXPECT_EQ(info.map, "");
  EXPECT_EQ(cmds[8].reported.size(), 2u);
}

TEST(Transcript, JoinsContinuationsAndKeepsJsonQuoting) {
  auto cmds = parse_transcript(
      "$ ./qemu-nbd -r -t -f qcow2 -A 'json:{\"driver\":\"qcow2\", \"backing\":null, \\\n"
      "> \"file\":{\"driver\":\"file\", \"filename\":\"top.qcow2\"}}'\n"
      "$ nbdinfo --map=qemu:allocation-depth nbd://localhost\n");
  ASSERT_EQ(cmds.size(), 2u);
  auto& nbd = std::get<QemuNbd>(cmds[0].command);
  EXPECT_TRUE(nbd.allocation_depth);
  EXPECT_TRUE(nbd.image.structured);
  EXPECT_NE(nbd.image.json.find("\"backing\":null"), std::string::npos);
  EXPECT_EQ(std::get<NbdInfo>(cmds[1].command).map, "qemu:allocation-depth");
}

TEST(Transcript, ImageOptsBecomeAJsonTree) {
  auto cmds = parse_transcript(
      "qemu-img map --output=json --image-opts \\\n"
      "   driver=blkdebug,image.driver=qcow2,image.file.driver=file,\\\n"
      "image.file.filename=top.qcow2,align=4k\n");
  auto& m = std::get<QemuImgMap>(cmds[0].command);
  EXPECT_TRUE(m.json_output);
  EXPECT_EQ(m.image.json,
            R"({"align":"4k","driver":"blkdebug","image":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}})");
}

TEST(Transcript, WithoutPromptsEveryNonCommentLineIsACommand) {
  auto cmds = parse_transcript("# comment\ntruncate -s 1g empty.raw\nqemu-io -f raw -c 'w -P 1 0 512' -c map empty.raw\n");
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(std::get<Truncate>(cmds[0].command).size, 1ull << 30);
  EXPECT_EQ(std::get<QemuIo>(cmds[1].command).commands.size(), 2u);
}

void expect_error(const std::string& text, int line, const std::string& fragment) {
  try {
    parse_transcript(text);
    FAIL() << "accepted: " << text;
  } catch (const TranscriptError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Transcript, RefusesUnknownCommandsWithTheLineAndGrammar) {
  expect_error("truncate -s 1M a.raw\nrm -rf /\n", 2, "'rm' is not a command chaincheck runs");
  expect_error("rm x\n", 1, "supported commands");
}

TEST(Transcript, RefusesShellSyntaxItWillNotRun) {
  expect_error("qemu-img map a.qcow2 | head\n", 1, "not supported: chaincheck runs no shell");
  expect_error("qemu-io -c \"write 0 512 a.raw\n", 1, "unterminated double quote");
  expect_error("qemu-img create a.raw $SIZE\n", 1, "shell variables");
  expect_error("nbdinfo --map nbd://example.com\n", 1, "never a remote host");
  expect_error("qemu-io -f raw a.raw\n", 1, "give -c commands");
}

TEST(ShellArithmetic, EvaluatesTheSeedForms) {
  EXPECT_EQ(shell_arithmetic("$((4*64*1024))"), 262144u);
  EXPECT_EQ(shell_arithmetic("$(( (1+2) * 512 - 1 ))"), 1535u);
  EXPECT_FALSE(shell_arithmetic("$((1/0))"));
  EXPECT_FALSE(shell_arithmetic("$((9223372036854775807*2))"));
  EXPECT_EQ(transcript_size("64k"), 65536u);
}

}  // namespace
}  // namespace chaincheck::impl

namespace chaincheck::impl {
namespace {

// Found by fuzz/transcript_parser (corpus/regressions/transcript_parser).
TEST(ShellArithmetic, RefusesOverflowInsteadOfWrapping) {
  EXPECT_FALSE(shell_arithmetic("$((6666666666666666666666))"));
  EXPECT_FALSE(shell_arithmetic("$((-9223372036854775807-1))"));
  EXPECT_FALSE(shell_arithmetic("$(((-9223372036854775807-1)/-1))"));
}

TEST(Transcript, ImageOptsWithInvalidUtf8IsNotACrash) {
  auto cmds = parse_transcript(std::string("qemu-img map --image-opts driver=qcow2,file.filename=\xff\xfe\n"));
  EXPECT_NE(std::get<QemuImgMap>(cmds[0].command).image.json.find("driver"), std::string::npos);
}

// commit / rebase / convert become the model's own steps, so repro applies them.
TEST(Transcript, ChainOperationsBecomeModelSteps) {
  auto cmds = parse_transcript(
      "qemu-img commit -f qcow2 -b base.qcow2 top.qcow2\n"
      "qemu-img rebase -q -f qcow2 -u -b '' top.qcow2\n"
      "qemu-img convert -f qcow2 -O qcow2 -o cluster_size=4k -B base.qcow2 -F qcow2 top.qcow2 out.qcow2\n"
      "qemu-img convert -n --target-is-zero -O raw top.qcow2 out.raw\n");
  ASSERT_EQ(cmds.size(), 4u);
  auto& commit = std::get<model::CommitStep>(std::get<QemuImgChainOp>(cmds[0].command).step).options;
  EXPECT_EQ(commit, (model::CommitOptions{.top = "top.qcow2", .base = "base.qcow2", .drop = false}));
  auto& rebase = std::get<model::RebaseStep>(std::get<QemuImgChainOp>(cmds[1].command).step).options;
  EXPECT_EQ(rebase, (model::RebaseOptions{.image = "top.qcow2", .backing = "", .unsafe = true}));
  auto& thin = std::get<model::ConvertStep>(std::get<QemuImgChainOp>(cmds[2].command).step).options;
  EXPECT_EQ(thin, (model::ConvertOptions{.source = "top.qcow2", .target = "out.qcow2",
                                         .target_format = model::ImageFormat::Qcow2, .cluster_bits = 12,
                                         .backing = "base.qcow2", .backing_format = model::ImageFormat::Qcow2}));
  auto& raw = std::get<model::ConvertStep>(std::get<QemuImgChainOp>(cmds[3].command).step).options;
  EXPECT_TRUE(raw.existing && raw.target_is_zero);
  EXPECT_EQ(raw.target_format, model::ImageFormat::Raw);
}

// Options the model does not follow keep the old behaviour: run as written, not modelled.
TEST(Transcript, ChainOperationsWithUnmodelledOptionsRunUnmodelled) {
  auto cmds = parse_transcript("qemu-img convert -c -O qcow2 a.qcow2 b.qcow2\nqemu-img convert -O qcow2 a b c\n");
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(std::get<QemuImgOther>(cmds[0].command).subcommand, "convert");
  EXPECT_TRUE(std::holds_alternative<QemuImgOther>(cmds[1].command));
  EXPECT_THROW(parse_transcript("qemu-img commit\n"), TranscriptError);
}

}  // namespace
}  // namespace chaincheck::impl
