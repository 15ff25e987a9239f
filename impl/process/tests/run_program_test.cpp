// run_program against the real tools: capture, stdin, working directory, deadlines.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "impl/process/process.hpp"
#include "impl/process/tests/child_processes.hpp"

namespace chaincheck::impl {
namespace {

using namespace std::chrono_literals;
using testing::children_of;

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(RunProgram, CapturesStdoutAndExitCode) {
  RunResult r = run_program({"qemu-img", "--version"});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out.rfind("qemu-img version ", 0), 0u) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(RunProgram, CapturesStderrAndFailureSeparately) {
  Workspace ws;
  RunOptions opts;
  opts.cwd = ws.path();
  RunResult r = run_program({"qemu-img", "info", "-f", "qcow2", "absent.qcow2"}, opts);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Could not open 'absent.qcow2'"), std::string::npos) << r.err;
  EXPECT_NE(r.describe().find("qemu-img info -f qcow2 absent.qcow2: exit 1: qemu-img: Could not open"),
            std::string::npos)
      << r.describe();
}

TEST(RunChecked, ThrowsWithTheToolsFirstErrorLine) {
  Workspace ws;
  RunOptions opts;
  opts.cwd = ws.path();
  try {
    run_checked({"qemu-img", "info", "absent.raw"}, opts);
    FAIL() << "no error";
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("exit 1: qemu-img: Could not open 'absent.raw'"), std::string::npos)
        << e.what();
  }
}

TEST(RunProgram, RunsInTheGivenWorkingDirectory) {
  Workspace ws;
  RunOptions opts;
  opts.cwd = ws.path();
  run_checked({"truncate", "-s", "4096", "made-here.raw"}, opts);
  EXPECT_EQ(std::filesystem::file_size(ws.file("made-here.raw")), 4096u);
}

TEST(RunProgram, MissingWorkingDirectoryIsAToolError) {
  RunOptions opts;
  opts.cwd = "/nonexistent/chaincheck-dir";
  try {
    run_program({"qemu-img", "--version"}, opts);
    FAIL() << "no error";
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/chaincheck-dir"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(children_of().empty());
}

TEST(RunProgram, FeedsStdinData) {
  Workspace ws;
  RunOptions opts;
  opts.cwd = ws.path();
  run_checked({"qemu-img", "create", "-q", "-f", "raw", "img.raw", "64k"}, opts);
  // Without -c, qemu-io reads its commands from stdin.
  opts.stdin_data = "write -P 7 0 4k\nread -P 7 0 4k\nalloc 0 64k\n";
  RunResult r = run_program({"qemu-io", "-f", "raw", "img.raw"}, opts);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("wrote 4096/4096 bytes at offset 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read 4096/4096 bytes at offset 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("65536/65536 bytes allocated at offset 0 bytes"), std::string::npos) << r.out;
}

TEST(RunProgram, DrainsLargeStdoutAndStderrTogetherWithoutDeadlock) {
  // Far beyond a pipe's 64 KiB on both streams at once: reading only one would hang.
  Workspace ws;
  RunOptions opts;
  opts.cwd = ws.path();
  opts.timeout = 20s;
  run_checked({"qemu-img", "create", "-q", "-f", "raw", "img.raw", "1M"}, opts);
  std::string commands;
  for (int i = 0; i < 20000; ++i) commands += "nosuchcommand\n";
  commands += "read -v 0 1M\n";
  opts.stdin_data = commands;
  RunResult r = run_program({"qemu-io", "-f", "raw", "img.raw"}, opts);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(count_of(r.err, "command \"nosuchcommand\" not found"), 20000u);
  EXPECT_EQ(count_of(r.out, "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"), 65536u);
  EXPECT_NE(r.out.find("read 1048576/1048576 bytes at offset 0"), std::string::npos);
}

TEST(RunProgram, KillsAndReapsOnTimeout) {
  // qemu-storage-daemon without arguments serves nothing and never exits on its own.
  RunOptions opts;
  opts.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  RunResult r = run_program({"qemu-storage-daemon"}, opts);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_FALSE(r.ok());
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
  EXPECT_NE(r.describe().find("timed out after 300 ms"), std::string::npos) << r.describe();
  EXPECT_TRUE(children_of().empty()) << "a child is left over (zombie or alive)";
}

TEST(RunProgram, TimeoutLeavesNoChildAndNoWorkspaceBehind) {
  std::filesystem::path dir;
  {
    Workspace ws;
    dir = ws.path();
    RunOptions opts;
    opts.cwd = ws.path();
    opts.timeout = 200ms;
    run_checked({"qemu-img", "create", "-q", "-f", "raw", "img.raw", "1M"}, opts);
    // A command that sleeps far past the deadline.
    RunResult r = run_program({"qemu-io", "-f", "raw", "-c", "sleep 10000", "img.raw"}, opts);
    EXPECT_TRUE(r.timed_out);
  }
  EXPECT_TRUE(children_of().empty());
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(RunProgram, ChildInheritsNoDescriptorsButStdio) {
  // A descriptor we "forgot" to mark close-on-exec must not reach the tool.
  Workspace ws;
  const auto marker = ws.file("leak-marker");
  int leaked = ::open(marker.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(leaked, 0);
  BackgroundProcess p = BackgroundProcess::start({"qemu-storage-daemon"}, ws.file("qsd.log"), ws.path());
  bool saw_marker = false;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(p.pid()) + "/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec);
    if (!ec && target == marker) saw_marker = true;
  }
  ::close(leaked);
  EXPECT_FALSE(saw_marker);
}

}  // namespace
}  // namespace chaincheck::impl
