// chaincheck repro's seed 004 rebuild: a layer exported alone (backing: null) and queried
// becomes a rebuild request over its chain (the replayed steps), and the check reports what
// each strategy gets wrong. The real stack is replaced by the model here; the live
// iotest 064-seed004-rebuild-from-null-backing-export runs QEMU.
#include <gtest/gtest.h>

#include "oracle/transcript_replay_rebuild.hpp"

namespace chaincheck::oracle {
namespace {

const char* kSeed004 = R"(qemu-img create -f raw base.raw $((4*64*1024))
qemu-img create -f qcow2 -b base.raw -F raw top.qcow2
qemu-io -f raw -c "write -P 65 0 64k" -c "write -P 66 64k 64k" -c "write -P 67 128k 64k" base.raw
qemu-io -f qcow2 -c "write -P 69 64k 64k" -c "write -z 128k 64k" top.qcow2
qemu-nbd -r -t -A 'json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"top.qcow2"}}' &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
)";

// A run in which every command succeeded and each nbdinfo talked to the first server
// (no replies: nothing to compare, only the replay).
impl::TranscriptRun quiet_run(const std::vector<impl::TranscriptCommand>& commands) {
  impl::TranscriptRun run;
  for (const auto& c : commands) {
    impl::CommandOutcome o;
    o.line = c.line;
    if (std::holds_alternative<impl::NbdInfo>(c.command)) o.server = 0;
    run.outcomes.push_back(o);
  }
  return run;
}

TEST(ReproRebuild, ANullBackingExportThatIsQueriedIsRebuiltOnceOverItsChain) {
  auto commands = impl::parse_transcript(kSeed004);
  ReproReport report = judge_transcript(commands, quiet_run(commands), Registry{});
  ASSERT_EQ(report.rebuild_requests.size(), 1u);
  const ReproRebuildRequest& req = report.rebuild_requests[0];
  EXPECT_EQ(req.image, "top.qcow2");
  EXPECT_EQ(req.line, 6);
  EXPECT_EQ(req.scenario.steps.size(), 7u);  // two creates, five writes
  EXPECT_EQ(model::rebuild_chain(req.scenario), (std::vector<std::string>{"base.raw", "top.qcow2"}));
}

TEST(ReproRebuild, AnExportWithItsBackingIsNotRebuilt) {
  std::string text = kSeed004;
  text.replace(text.find("'json:"), text.find("' &") + 1 - text.find("'json:"), "-f qcow2 top.qcow2");
  auto commands = impl::parse_transcript(text);
  ReproReport report = judge_transcript(commands, quiet_run(commands), Registry{});
  EXPECT_TRUE(report.rebuild_requests.empty());
}

// With the model standing in for the real stack the two agree, so there is no finding;
// (a) loses the zeroed cluster at 128k, (b) is exact (seed 004).
TEST(ReproRebuild, TheReportNamesEachStrategysFirstDifferingByte) {
  auto commands = impl::parse_transcript(kSeed004);
  ReproReport report = judge_transcript(commands, quiet_run(commands), Registry{});
  model::ModelRebuilder stand_in;
  run_rebuild_checks(report, stand_in, Registry{});
  ASSERT_EQ(report.rebuilds.size(), 1u);
  EXPECT_TRUE(report.rebuilds[0].findings.empty());
  auto text = rebuild_text(report.rebuilds[0]);
  ASSERT_EQ(text.size(), 3u);
  EXPECT_NE(text[0].find("base.raw > top.qcow2"), std::string::npos) << text[0];
  EXPECT_NE(text[1].find("(a) base:allocation alone: first differing byte 131072"), std::string::npos) << text[1];
  EXPECT_NE(text[2].find("qemu:allocation-depth: exact"), std::string::npos) << text[2];
  EXPECT_EQ(render_json(report)["rebuilds"][0]["strategies"][0]["first_wrong"], 131072);
}

}  // namespace
}  // namespace chaincheck::oracle
