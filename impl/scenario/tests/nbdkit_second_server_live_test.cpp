// nbdkit as a second NBD server: in repro transcripts (file and nbd plugins,
// blocksize and blocksize-policy filters) and in the campaign (the NbdkitBlocksize query),
// judged against the model's sticky rounding; reproducers replay the nbdkit line.
#include <gtest/gtest.h>

#include <unistd.h>

#include "impl/process/tests/child_processes.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "impl/transcript/transcript.hpp"
#include "impl/transcript/transcript_runner.hpp"
#include "model/generate/scenario_generator.hpp"
#include "model/scenario/scenario_json.hpp"
#include "oracle/campaign.hpp"
#include "oracle/registry.hpp"
#include "oracle/transcript_replay.hpp"
#include "oracle/reproducer_writer.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;

std::size_t children() { return chaincheck::impl::testing::children_of().size(); }

oracle::ReproReport replay(const std::string& text) {
  auto cmds = parse_transcript(text);
  static std::vector<std::vector<TranscriptCommand>> keep;  // the report points into them
  keep.push_back(cmds);
  TranscriptRun ran = run_transcript(keep.back());
  static std::vector<TranscriptRun> runs;
  runs.push_back(std::move(ran));
  return oracle::judge_transcript(keep.back(), runs.back(), oracle::Registry::load(oracle::default_registry_dir()));
}

// The report line of the command on transcript line `n`.
const oracle::ReproLine& line(const oracle::ReproReport& r, int n) {
  for (const auto& l : r.lines)
    if (l.command->line == n) return l;
  throw std::out_of_range("no line " + std::to_string(n));
}

// 512-byte clusters: 512-byte data pieces that nbdkit's filters must round (seed 002).
const char* kChain =
    "qemu-img create -q -f qcow2 -o cluster_size=512 back.qcow2 1M\n"
    "qemu-io -f qcow2 -c 'write -P 1 0 512' -c 'write -P 1 1k 512' -c 'write -P 2 64k 4k' back.qcow2\n"
    "qemu-img create -q -f qcow2 -F qcow2 -b back.qcow2 top.qcow2\n"
    "qemu-io -f qcow2 -c 'write -z 64k 512' top.qcow2\n"
    "qemu-nbd -r -t -k q.sock -f qcow2 top.qcow2 &\n";

TEST(NbdkitTranscriptLive, BlocksizeFilterOverQemuNbdRoundsExactlyAsTheModelsStickyRules) {
  auto r = replay(std::string(kChain) +
                  "nbdkit -U k.sock --filter=blocksize nbd socket=q.sock minblock=4096 &\n"
                  "nbdinfo --map 'nbd+unix:///?socket=k.sock'\n");
  const auto& l = line(r, 7);
  ASSERT_TRUE(l.outcome->nbd) << l.outcome->error;
  EXPECT_TRUE(l.findings.empty()) << oracle::describe(l.findings.at(0));
  // The real nbdinfo text and the model's lines agree extent for extent, and the 512-byte
  // pieces were rounded: the first extent is one whole 4 KiB data block.
  EXPECT_EQ(l.outcome->output, l.model);
  ASSERT_FALSE(l.model.empty());
  EXPECT_EQ(l.model[0], oracle::nbdinfo_line(0, 4096, 0, "base:allocation"));
  EXPECT_EQ(r.findings(), 0u);
  EXPECT_EQ(children(), 0u);
}

TEST(NbdkitTranscriptLive, BlocksizePolicyForwardsSubMinimumExtentsAndIsRecognisedAsKF011) {
  auto r = replay(std::string(kChain) +
                  "nbdkit -U p.sock --filter=blocksize-policy nbd socket=q.sock blocksize-minimum=4096 &\n"
                  "nbdinfo --map 'nbd+unix:///?socket=p.sock'\n");
  const auto& l = line(r, 7);
  ASSERT_FALSE(l.findings.empty());
  for (const auto& f : l.findings) {
    EXPECT_EQ(f.rule, "extent-not-multiple-of-min-block");
    EXPECT_TRUE(f.known) << oracle::describe(f);
    EXPECT_EQ(f.known_id, "KF-011");
  }
  EXPECT_EQ(r.new_findings(), 0u);
  EXPECT_EQ(children(), 0u);
}

TEST(NbdkitTranscriptLive, FilePluginServesARawFilesOwnSizeAndHolesAsTheModelSays) {
  auto r = replay(
      "truncate -s 70000 r.raw\n"
      "qemu-io -f raw -c 'write -P 3 5000 100' r.raw\n"
      "nbdkit -U f.sock -r file r.raw\n"
      "nbdinfo --map 'nbd+unix:///?socket=f.sock'\n"
      "nbdkit -U g.sock --filter=blocksize file file=r.raw minblock=4096\n"
      "nbdinfo --map 'nbd+unix:///?socket=g.sock'\n");
  EXPECT_EQ(r.findings(), 0u) << oracle::render_text(r, false);
  ASSERT_TRUE(line(r, 4).outcome->nbd);
  EXPECT_EQ(line(r, 4).outcome->nbd->export_size, 70000u);       // not QEMU's 70144
  EXPECT_EQ(line(r, 6).outcome->nbd->export_size, 69632u);       // rounded down to minblock
  EXPECT_EQ(line(r, 6).outcome->output, line(r, 6).model);
  EXPECT_EQ(children(), 0u);
}

TEST(NbdkitTranscriptLive, ANbdkitThatCannotStartEndsTheReplayNamingItsLineAndLeavesNothing) {
  auto cmds = parse_transcript(std::string(kChain) + "nbdkit -U k.sock file missing.raw\n");
  try {
    run_transcript(cmds);
    FAIL() << "nbdkit started over a missing file";
  } catch (const TranscriptError& e) {
    EXPECT_EQ(e.line(), 6);
    EXPECT_NE(std::string(e.what()).find("nbdkit did not start"), std::string::npos) << e.what();
  }
  EXPECT_EQ(children(), 0u);
}

// The campaign's second server: generated scenarios served through nbdkit agree with the
// model's sticky rounding, and each one's reproducer replays the nbdkit line with the same
// verdict for it.
TEST(NbdkitCampaignLive, GeneratedScenariosThroughNbdkitAgreeWithTheModelAndTheirReproducersReplayIt) {
  static QemuSystem q;
  oracle::Registry reg = oracle::Registry::load(oracle::default_registry_dir());
  GeneratorConfig cfg;
  cfg.max_layers = 3;
  unsigned compared = 0;
  for (std::uint64_t i = 0; i < 4; ++i) {
    RandomChooser chooser(oracle::scenario_seed(11, i));
    Scenario s = generate_scenario(chooser, cfg);
    if (!s.export_spec) continue;
    s.host = *q.host();
    s.queries.push_back(Query::NbdkitBlocksize);
    oracle::ScenarioResult r = oracle::judge_scenario(s, q);
    ASSERT_TRUE(r.observed.error.empty()) << r.observed.error;
    ASSERT_TRUE(r.observed.nbdkit && r.predicted.nbdkit);
    bool steps_ok = true;
    for (std::size_t k = 0; k < r.observed.step_errors.size(); ++k)
      steps_ok = steps_ok && r.observed.step_errors[k].empty() == r.predicted.step_errors.at(k).empty();
    if (!steps_ok) continue;
    ++compared;
    EXPECT_EQ(r.observed.nbdkit->export_size, r.predicted.nbdkit->export_size);
    for (const auto& f : r.verdict.findings)
      for (const auto& itf : f.interfaces) EXPECT_NE(itf, "nbdkit") << oracle::describe(f) << "\n" << to_json(s).dump();
    std::string script = oracle::scenario_to_transcript(s);
    ASSERT_NE(script.find("nbdkit -U nbdkit.sock -r --filter=blocksize nbd socket="), std::string::npos) << script;
    auto rep = replay(script);
    const oracle::ReproLine& last = rep.lines.back();
    ASSERT_TRUE(std::holds_alternative<NbdInfo>(last.command->command));
    ASSERT_TRUE(last.outcome->nbd) << last.outcome->error;
    EXPECT_FALSE(last.model.empty()) << oracle::render_text(rep, false);
    if (!last.model.empty()) { EXPECT_EQ(last.outcome->output, last.model); }
    EXPECT_EQ(last.outcome->nbd->export_size, r.observed.nbdkit->export_size);
  }
  EXPECT_GE(compared, 2u);
  EXPECT_EQ(children(), 0u);
}

TEST(NbdkitCampaignLive, ACampaignWithTheSecondServerRunsEveryScenarioThroughNbdkit) {
  oracle::CampaignOptions o;
  o.seed = 5;
  o.count = 6;
  o.nbdkit_second_server = true;
  o.generator.max_layers = 2;
  oracle::CampaignSummary s = oracle::run_campaign(
      o, [] { return std::make_unique<QemuSystem>(); }, oracle::Registry::load(oracle::default_registry_dir()));
  EXPECT_EQ(s.progress.scenarios, 6u);
  EXPECT_EQ(s.progress.errors, 0u) << (s.errors.empty() ? "" : s.errors[0]);
  for (const auto& rec : s.findings) {
    bool nbdkit = false;
    for (const auto& itf : rec.finding.interfaces) nbdkit = nbdkit || itf == "nbdkit";
    if (nbdkit) { EXPECT_NE(rec.reproducer.find("nbdkit -U nbdkit.sock"), std::string::npos) << rec.reproducer; }
    EXPECT_FALSE(nbdkit && !rec.finding.known) << oracle::describe(rec.finding) << "\n" << rec.reproducer;
  }
  EXPECT_EQ(children(), 0u);
}

}  // namespace
}  // namespace chaincheck::impl
