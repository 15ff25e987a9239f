// Filter graphs through qemu-storage-daemon (blockdev-add with node names), judged
// against the model: a filter between overlay and backing, filters over the file node,
// copy-on-read on top and between layers, guest writes through a filter between layers.
#include <gtest/gtest.h>

#include "impl/process/tests/child_processes.hpp"
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "impl/scenario/qemu_system.hpp"
#include "model/scenario/scenario_json.hpp"
#include "impl/transcript/transcript.hpp"
#include "impl/transcript/transcript_runner.hpp"
#include "oracle/campaign.hpp"
#include "oracle/transcript_replay.hpp"
#include "oracle/reproducer_writer.hpp"
#include "oracle/registry.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;

// base.qcow2 (1 MiB): 0..64k = 1. top.qcow2 over it: 128k..192k = 2. `export_graph` and
// `queries` are JSON text; `more_steps` are appended steps.
Scenario two_layers(const std::string& export_graph, const std::string& queries = R"(["base:allocation","qemu:allocation-depth","content"])",
                    const std::string& more_steps = "") {
  std::string text = R"({"name":"qsd","steps":[
    {"create":{"name":"base.qcow2","format":"qcow2","size":"1M"}},
    {"io":{"image":"base.qcow2","op":"write","offset":0,"length":"64k","pattern":1}},
    {"create":{"name":"top.qcow2","format":"qcow2","backing":"base.qcow2","backing_format":"qcow2"}},
    {"io":{"image":"top.qcow2","op":"write","offset":"128k","length":"64k","pattern":2}})" +
                     more_steps + R"(],
    "export":{"graph":)" + export_graph + R"(},"queries":)" + queries + "}";
  return scenario_from_text(text);
}

std::size_t children() { return chaincheck::impl::testing::children_of().size(); }

struct Judged {
  oracle::ScenarioResult result;
  std::set<std::string> known;  // registry ids of the findings
  std::vector<std::string> unknown;
};

Judged run(Scenario s) {
  static QemuSystem q;
  s.host = *q.host();
  Judged j{oracle::judge_scenario(s, q), {}, {}};
  oracle::Registry reg = oracle::Registry::load(oracle::default_registry_dir());
  reg.classify(j.result.verdict.findings);
  for (const auto& f : j.result.verdict.findings) {
    if (f.known) j.known.insert(f.known_id);
    else j.unknown.push_back(oracle::describe(f));
  }
  EXPECT_EQ(children(), 0u) << "a server outlived the run";
  return j;
}

const char* kThrottleBetween =
    R"({"image":"top.qcow2","backing":{"filter":"throttle","child":{"image":"base.qcow2"}}})";

TEST(QsdGraphLive, ThrottleBetweenOverlayAndBackingIsTransparentAndNotCountedInDepth) {
  Judged j = run(two_layers(kThrottleBetween));
  const Observation& o = j.result.observed;
  ASSERT_TRUE(o.error.empty()) << o.error;
  EXPECT_TRUE(j.result.verdict.clean()) << oracle::describe(j.result.verdict.findings.at(0));
  ASSERT_TRUE(o.nbd);
  // Base data at depth 2: the filter's child allocates, so the walk does not count it.
  EXPECT_EQ(context_extents(*o.nbd, "qemu:allocation-depth"),
            (std::vector<NbdExtent>{{0, 65536, 2}, {65536, 65536, 0}, {131072, 65536, 1}, {196608, 851968, 0}}));
}

TEST(QsdGraphLive, FiltersOverTheFileNodeLeaveTheFormatNodeAlignmentAndStatusAlone) {
  Judged j = run(two_layers(
      R"({"image":"top.qcow2","file_filters":[{"filter":"blkdebug","align":65536},{"filter":"throttle"},{"filter":"preallocate"}]})",
      R"(["map","qemu-io-map","base:allocation","qemu:allocation-depth","content"])"));
  const Observation& o = j.result.observed;
  ASSERT_TRUE(o.error.empty()) << o.error;
  EXPECT_TRUE(j.result.verdict.clean()) << oracle::describe(j.result.verdict.findings.at(0));
  ASSERT_TRUE(o.nbd);
  EXPECT_EQ(o.nbd->block_size.minimum, 1u);  // request_alignment is not inherited upwards
  ASSERT_TRUE(o.img_map);
  EXPECT_EQ(o.img_map->size(), 4u);
}

TEST(QsdGraphLive, CopyOnReadOnTopCopiesOnlyWhatTheExportReadsAsData) {
  Judged j = run(two_layers(R"({"filter":"copy-on-read","child":{"image":"top.qcow2"}})"));
  const Observation& o = j.result.observed;
  ASSERT_TRUE(o.error.empty()) << o.error;
  EXPECT_TRUE(j.unknown.empty()) << j.unknown.at(0);
  EXPECT_EQ(j.known, (std::set<std::string>{"KF-002"}));  // the filter on top, counted
  // On disk after the read-back: base's data was copied up; the zero ranges the server sent
  // as holes were never read, so never copied.
  ASSERT_TRUE(o.top_layout);
  std::vector<std::pair<u64, ClusterType>> layout;
  for (const auto& e : *o.top_layout) layout.push_back({e.start, e.type});
  EXPECT_EQ(layout, (std::vector<std::pair<u64, ClusterType>>{{0, ClusterType::Normal},
                                                              {65536, ClusterType::Unallocated},
                                                              {131072, ClusterType::Normal},
                                                              {196608, ClusterType::Unallocated}}));
}

TEST(QsdGraphLive, CopyOnReadBetweenLayersIsCountedInDepthWhereTheLayerUnderItDefers) {
  Scenario s = two_layers(
      R"({"image":"top.qcow2","backing":{"filter":"copy-on-read","child":{"image":"mid.qcow2"}}})", 
      R"(["base:allocation","qemu:allocation-depth","content"])",
      R"(,{"create":{"name":"mid.qcow2","format":"qcow2","backing":"base.qcow2","backing_format":"qcow2"}},
          {"create":{"name":"top.qcow2","format":"qcow2","backing":"mid.qcow2","backing_format":"qcow2"}})");
  Judged j = run(s);
  const Observation& o = j.result.observed;
  ASSERT_TRUE(o.error.empty()) << o.error;
  EXPECT_TRUE(j.unknown.empty()) << j.unknown.at(0);
  EXPECT_EQ(j.known, (std::set<std::string>{"KF-002"}));
  ASSERT_TRUE(o.nbd);
  EXPECT_EQ(context_extents(*o.nbd, "qemu:allocation-depth").at(0), (NbdExtent{0, 65536, 4}));
}

TEST(QsdGraphLive, GuestWritesThroughAFilterBetweenLayersGoOverAWritableExport) {
  std::string writes = std::string(R"(,{"io":{"graph":)") + kThrottleBetween +
                       R"(,"op":"write","offset":"32k","length":"64k","pattern":7}},
      {"io":{"graph":)" + kThrottleBetween + R"(,"op":"write-zeroes","offset":"512k","length":"64k","unmap":false}},
      {"io":{"graph":)" + kThrottleBetween + R"(,"op":"discard","offset":"128k","length":"64k"}})";
  Judged j = run(two_layers(R"({"image":"top.qcow2"})",
                            R"(["map","qemu-io-map","base:allocation","qemu:allocation-depth","content"])", writes));
  const Observation& o = j.result.observed;
  ASSERT_TRUE(o.error.empty()) << o.error;
  for (const auto& e : o.step_errors) EXPECT_EQ(e, "");
  EXPECT_TRUE(j.result.verdict.clean()) << oracle::describe(j.result.verdict.findings.at(0));
  ASSERT_TRUE(o.content);
  // 32k..96k now reads 7 (the write went to the overlay, not the throttled base).
  bool saw_pattern = false;
  for (const auto& r : *o.content) saw_pattern |= r.start == 32768 && r.value == 7 && r.length == 65536;
  EXPECT_TRUE(saw_pattern);
}

TEST(QsdGraphLive, CopyOnReadIntoSubclustersKillsQemuAndIsReportedAsKF031) {
  // Extended L2 (4 KiB subclusters of 128 KiB): the overlay allocates 0..4k only; the
  // export reads 4k.. as data (the backing's), so copy-on-read starts mid-cluster. (A
  // blkdebug align=64k above would pad the read back to 0 and hide it.)
  Scenario s = scenario_from_text(R"({"name":"kf031","steps":[
    {"create":{"name":"base.qcow2","format":"qcow2","size":"1M"}},
    {"io":{"image":"base.qcow2","op":"write","offset":0,"length":"1M","pattern":1}},
    {"create":{"name":"top.qcow2","format":"qcow2","backing":"base.qcow2","backing_format":"qcow2",
               "cluster_size":"128k","extended_l2":true}},
    {"io":{"image":"top.qcow2","op":"write","offset":0,"length":"4k","pattern":2}}],
    "export":{"graph":{"filter":"copy-on-read","child":{"image":"top.qcow2"}}},
    "queries":["base:allocation","content"]})");
  Judged j = run(s);
  const Observation& o = j.result.observed;
  EXPECT_NE(o.server_crash.find("skip_bytes < pnum"), std::string::npos) << o.server_crash << " / " << o.error;
  EXPECT_TRUE(j.known.count("KF-031"));
}

TEST(QsdGraphLive, CopyOnReadPastTheRequestInASubclusteredClusterKillsQemuAndIsReportedAsKF032) {
  // Extended L2 (4 KiB subclusters of 128 KiB): the overlay allocates 8k..12k and 16k..20k.
  // The server reads 0..8k (the backing's data); copy-on-read rounds it to the whole cluster
  // and keeps walking its pieces after the request is complete, into the allocated ones.
  Scenario s = scenario_from_text(R"({"name":"kf032","steps":[
    {"create":{"name":"base.qcow2","format":"qcow2","size":"1M"}},
    {"io":{"image":"base.qcow2","op":"write","offset":0,"length":"1M","pattern":1}},
    {"create":{"name":"top.qcow2","format":"qcow2","backing":"base.qcow2","backing_format":"qcow2",
               "cluster_size":"128k","extended_l2":true}},
    {"io":{"image":"top.qcow2","op":"write","offset":"8k","length":"4k","pattern":2}},
    {"io":{"image":"top.qcow2","op":"write","offset":"16k","length":"4k","pattern":3}}],
    "export":{"graph":{"filter":"copy-on-read","child":{"image":"top.qcow2"}}},
    "queries":["base:allocation","content"]})");
  Judged j = run(s);
  const Observation& o = j.result.observed;
  EXPECT_FALSE(o.server_crash.empty()) << o.error;
  EXPECT_TRUE(j.known.count("KF-032")) << o.server_crash;
  EXPECT_EQ(children(), 0u);
}

TEST(QsdGraphLive, ReproducersOfNodeNameGraphsReplayThroughTheStorageDaemon) {
  Scenario s = two_layers(kThrottleBetween);
  std::string script = oracle::scenario_to_transcript(s);
  EXPECT_NE(script.find("qemu-storage-daemon --object throttle-group,id=tg0"), std::string::npos) << script;
  auto cmds = parse_transcript(script);
  const auto& d = std::get<StorageDaemonRun>(cmds.at(cmds.size() - 3).command);
  EXPECT_EQ(d.blockdevs.size(), 5u);
  EXPECT_EQ(d.exports.at(0).node, "n4");
  // Replayed: the daemon serves it and the model judges each nbdinfo line.
  impl::TranscriptRun ran = run_transcript(cmds);
  oracle::ReproReport r =
      oracle::judge_transcript(cmds, ran, oracle::Registry::load(oracle::default_registry_dir()));
  EXPECT_EQ(r.findings(), 0u);
  std::size_t judged = 0;
  for (const auto& l : r.lines) judged += !l.model.empty();
  EXPECT_GE(judged, 2u);
  EXPECT_EQ(children(), 0u);
}

}  // namespace
}  // namespace chaincheck::impl
