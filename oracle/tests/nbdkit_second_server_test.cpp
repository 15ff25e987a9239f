// The second NBD server without a live nbdkit: the model's prediction for nbdkit's
// blocksize filter (sticky rounding, size rounded down), the judge's nbdkit findings, and
// the reproducer's nbdkit line.
#include <gtest/gtest.h>

#include "impl/transcript/transcript.hpp"
#include "model/scenario/model_system.hpp"
#include "model/scenario/nbdkit_stack.hpp"
#include "model/scenario/scenario_json.hpp"
#include "oracle/judge.hpp"
#include "oracle/nbdkit_judge.hpp"
#include "oracle/reproducer_writer.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

// A 70000-byte raw file (not a multiple of 4096) exported under blkdebug align; 512-byte
// data pieces at 0 and 1024 of a 512-byte-cluster qcow2.
Scenario scenario(u64 align) {
  return scenario_from_text(R"({"name":"k","steps":[
    {"create":{"name":"b.qcow2","format":"qcow2","size":70000,"cluster_size":512}},
    {"io":{"image":"b.qcow2","op":"write","offset":0,"length":512,"pattern":1}},
    {"io":{"image":"b.qcow2","op":"write","offset":1024,"length":512,"pattern":1}}],
    "export":{"graph":{"filter":"blkdebug","align":)" + std::to_string(align) + R"(,"child":{"image":"b.qcow2"}}},
    "queries":["base:allocation","content","nbdkit-blocksize"]})");
}

TEST(NbdkitPrediction, BlocksizeRoundsStickilyAndRoundsTheSizeDown) {
  ModelSystem m;
  Observation p = m.run(scenario(512));
  ASSERT_TRUE(p.nbdkit);
  EXPECT_EQ(p.nbdkit->export_size, 69632u);  // 70144 (qcow2 rounds to sectors) down to 4096
  EXPECT_EQ(p.nbdkit->block_size.minimum, 1u);
  auto ext = context_extents(*p.nbdkit, "base:allocation");
  ASSERT_EQ(ext.size(), 2u);
  EXPECT_EQ(ext[0], (NbdExtent{0, 4096, 0}));  // DATA sticky: the data pieces make it data
  EXPECT_EQ(ext[1], (NbdExtent{4096, 69632 - 4096, kNbdHole | kNbdZero}));
  ASSERT_TRUE(p.nbdkit_content);
  EXPECT_EQ(p.nbdkit_content->back().end(), 69632u);
}

TEST(NbdkitPrediction, MinblockFollowsALargerExportAlignmentAndPolicyKeepsTheSize) {
  ModelSystem m;
  m.run(scenario(65536));
  Scenario sc = scenario(65536);
  Graph g = build_graph(m.state(), sc.export_spec->graph);
  EXPECT_EQ(campaign_minblock(m.state(), g), 65536u);
  NbdObservation policy = predict_nbdkit(m.state(), g, {true, 0, 4096});
  EXPECT_EQ(policy.block_size.minimum, 4096u);   // advertised as given
  EXPECT_EQ(policy.export_size, 70144u);          // the size is passed through
  // Rounded at the larger of the filter's minimum and the export's own (65536).
  EXPECT_EQ(context_extents(policy, "base:allocation").at(0), (NbdExtent{0, 65536, 0}));
}

TEST(NbdkitPrediction, TheQueryRoundTripsThroughScenarioJson) {
  Scenario sc = scenario(512);
  EXPECT_EQ(sc.queries.back(), Query::NbdkitBlocksize);
  EXPECT_EQ(scenario_from_text(to_json(sc).dump()).queries, sc.queries);
}

TEST(NbdkitJudge, NbdkitFindingsNameNbdkitAndAreDroppedWhereQemuAlreadyDiffers) {
  ModelSystem m;
  Scenario sc = scenario(512);
  Observation p = m.run(sc), o = p;
  o.versions = {{"nbdkit", "test"}};
  EXPECT_TRUE(judge(p, o, {}).findings.empty());
  // nbdkit says hole where the model's rounding says data.
  o.nbdkit->replies[0].extents[0].value = kNbdHole;
  Verdict v = judge(p, o, {});
  ASSERT_EQ(v.findings.size(), 1u);
  EXPECT_EQ(v.findings[0].interfaces, (std::vector<std::string>{"base:allocation", kNbdkitInterface}));
  EXPECT_EQ(v.findings[0].graph, kNbdkitGraph);
  EXPECT_EQ(v.findings[0].rule, "base-allocation-flags");
  // QEMU's own base:allocation differs too: nbdkit only passed it on.
  o.nbd->replies[0].extents[0].value = kNbdHole;
  Verdict w = judge(p, o, {});
  for (const auto& f : w.findings)
    for (const auto& i : f.interfaces) EXPECT_NE(i, kNbdkitInterface) << describe(f);
  EXPECT_FALSE(w.findings.empty());
}

TEST(NbdkitReproducer, TheTranscriptPutsNbdkitInFrontOfTheQemuNbdSocketWithTheCampaignsMinblock) {
  for (u64 align : {512u, 65536u}) {
    std::string t = scenario_to_transcript(scenario(align));
    std::string want = "nbdkit -U nbdkit.sock -r --filter=blocksize nbd socket=nbd.sock minblock=" +
                       std::to_string(std::max<u64>(4096, align)) + " &\n";
    EXPECT_NE(t.find(want), std::string::npos) << t;
    EXPECT_NE(t.find(" -k nbd.sock "), std::string::npos) << t;
    auto cmds = impl::parse_transcript(t);
    EXPECT_TRUE(std::holds_alternative<impl::NbdkitRun>(cmds.at(cmds.size() - 2).command));
  }
  // Without the query the transcript has no nbdkit and qemu-nbd keeps its own socket.
  Scenario plain = scenario(512);
  plain.queries.pop_back();
  EXPECT_EQ(scenario_to_transcript(plain).find("nbdkit"), std::string::npos);
}

}  // namespace
}  // namespace chaincheck::oracle
