// QMP lines replayed against a real qemu-storage-daemon: jobs run to their end before the
// next line, QEMU's refusals are the command's output, a daemon that aborts is a server
// crash, exports added over QMP are reachable by nbdinfo.
#include <gtest/gtest.h>

#include "impl/transcript/transcript_runner.hpp"

namespace chaincheck::impl {
namespace {

const char* kChain =
    "qemu-img create -f qcow2 base.qcow2 1M\n"
    "qemu-io -f qcow2 -c 'write -P 1 0 128k' base.qcow2\n"
    "qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2\n"
    "qemu-io -f qcow2 -c 'write -P 2 512k 64k' top.qcow2\n";
const char* kDaemon =
    "qemu-storage-daemon --blockdev driver=qcow2,node-name=top,file.driver=file,file.filename=top.qcow2 "
    "--chardev socket,id=m,path=/tmp/qmp.sock,server=on,wait=off --monitor chardev=m "
    "--nbd-server addr.type=unix,addr.path=/tmp/qsd.sock &\n";

TranscriptRun run(const std::string& text) { return run_transcript(parse_transcript(text)); }

bool has_line(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

TEST(QmpRunnerLive, StreamJobEndsBeforeTheNextLineAndQuitWritesTheHeader) {
  auto r = run(std::string(kChain) + kDaemon + "(QEMU) block-stream device=top job-id=j0\n" + "{\"execute\": \"quit\"}\n" +
               "qemu-img map --output=json -f qcow2 top.qcow2\n");
  ASSERT_EQ(r.outcomes.size(), 8u);
  const CommandOutcome& job = r.outcomes[5];
  EXPECT_EQ(job.error, "");
  EXPECT_TRUE(has_line(job.output, "BLOCK_JOB_COMPLETED")) << job.output.size();
  EXPECT_EQ(r.outcomes[6].error, "");
  // The map after quit: the base's data now lives in the top (depth 0), no backing left.
  ASSERT_TRUE(r.outcomes[7].img_map.has_value());
  for (const auto& e : *r.outcomes[7].img_map) EXPECT_EQ(e.depth, 0u) << e.start;
}

TEST(QmpRunnerLive, QemuRefusalIsTheCommandsOutputNotTheEndOfTheReplay) {
  auto r = run(std::string(kChain) + kDaemon + "(QEMU) block-stream device=nosuch job-id=j0\n" +
               "(QEMU) query-block-jobs\n");
  ASSERT_EQ(r.outcomes.size(), 7u);
  EXPECT_NE(r.outcomes[5].error.find("nosuch"), std::string::npos) << r.outcomes[5].error;
  EXPECT_TRUE(has_line(r.outcomes[5].output, "\"error\""));
  EXPECT_EQ(r.outcomes[5].server_crash, "");
  EXPECT_EQ(r.outcomes[6].error, "");
  EXPECT_TRUE(has_line(r.outcomes[6].output, "{\"return\": []}"));
}

// KF-035: streaming into a partly allocated extended-L2 cluster aborts qemu-storage-daemon 7.2.
TEST(QmpRunnerLive, DaemonThatAbortsDuringAJobIsAServerCrashAndLaterLinesSaySo) {
  auto r = run(
      "qemu-img create -f qcow2 base.qcow2 1M\n"
      "qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2\n"
      "qemu-img create -f qcow2 -o extended_l2=on -b base.qcow2 -F qcow2 top.qcow2\n"
      "qemu-io -f qcow2 -c 'write -P 2 0 2k' top.qcow2\n" +
      std::string(kDaemon) + "(QEMU) block-stream device=top job-id=j0\n(QEMU) query-block-jobs\n");
  ASSERT_EQ(r.outcomes.size(), 7u);
  EXPECT_NE(r.outcomes[5].server_crash.find("skip_bytes < pnum"), std::string::npos) << r.outcomes[5].error;
  EXPECT_NE(r.outcomes[5].error.find("died"), std::string::npos) << r.outcomes[5].error;
  EXPECT_NE(r.outcomes[6].error.find("died"), std::string::npos) << r.outcomes[6].error;
}

TEST(QmpRunnerLive, ExportAddedOverQmpServesARuntimeBitmap) {
  auto r = run(std::string(kChain) + kDaemon +
               "(QEMU) block-dirty-bitmap-add node=top name=rt granularity=65536\n"
               "(QEMU) block-export-add type=nbd id=e0 node-name=top name=e0 writable=true bitmaps=[\"rt\"]\n"
               "nbdinfo --map=qemu:dirty-bitmap:rt 'nbd+unix:///e0?socket=/tmp/qsd.sock'\n");
  ASSERT_EQ(r.outcomes.size(), 8u);
  EXPECT_EQ(r.outcomes[5].error, "");
  EXPECT_EQ(r.outcomes[6].error, "");
  EXPECT_EQ(r.outcomes[7].error, "");
  ASSERT_TRUE(r.outcomes[7].nbd.has_value());
  EXPECT_FALSE(r.outcomes[7].nbd->replies.empty());
}

}  // namespace
}  // namespace chaincheck::impl
