// The real stack behind the SystemUnderTest interface, judged against the model.
#include <gtest/gtest.h>

#include "impl/process/tests/child_processes.hpp"
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "impl/process/process.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "oracle/campaign.hpp"
#include "oracle/registry.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;

Scenario seed004(std::optional<GraphSpec> top = std::nullopt) {
  Scenario s;
  CreateOptions base{.name = "base.raw", .format = ImageFormat::Raw, .size = 262144};
  CreateOptions over{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  over.backing_file = "base.raw";
  over.backing_format = ImageFormat::Raw;
  s.steps = {CreateStep{base}, CreateStep{over},
             IoStep{GraphSpec::of_image("base.raw"), {OpKind::Write, 0, 65536, 65, false}},
             IoStep{GraphSpec::of_image("base.raw"), {OpKind::Write, 65536, 65536, 66, false}},
             IoStep{GraphSpec::of_image("base.raw"), {OpKind::Write, 131072, 65536, 67, false}},
             IoStep{GraphSpec::of_image("top.qcow2"), {OpKind::Write, 65536, 65536, 69, false}},
             IoStep{GraphSpec::of_image("top.qcow2"), {OpKind::WriteZeroes, 131072, 65536, 0, false}}};
  s.export_spec = ExportSpec{top ? *top : GraphSpec::of_image("top.qcow2")};
  s.queries = {Query::ImgMap, Query::IoMap, Query::BaseAllocation, Query::AllocationDepth, Query::Content};
  return s;
}

std::size_t children() { return chaincheck::impl::testing::children_of().size(); }

TEST(QemuSystem, Seed004ThroughTheRealStackAgreesWithTheModel) {
  QemuSystem q;
  Scenario s = seed004();
  s.host = *q.host();
  oracle::ScenarioResult r = oracle::judge_scenario(s, q);
  EXPECT_TRUE(r.observed.error.empty()) << r.observed.error;
  EXPECT_TRUE(r.verdict.clean()) << oracle::describe(r.verdict.findings.at(0));
  ASSERT_TRUE(r.observed.nbd);
  EXPECT_EQ(context_extents(*r.observed.nbd, "qemu:allocation-depth"),
            (std::vector<NbdExtent>{{0, 65536, 2}, {65536, 131072, 1}, {196608, 65536, 2}}));
  EXPECT_EQ(context_extents(*r.observed.nbd, "base:allocation"),
            (std::vector<NbdExtent>{{0, 131072, 0}, {131072, 131072, 3}}));
  EXPECT_EQ(r.observed.versions.at("qemu").substr(0, 4), "7.2.");
}

TEST(QemuSystem, BlkdebugAlignmentShowsTheKnownSpecViolations) {
  // Seed 002: a 512 B-cluster backing under a 1 MiB-cluster overlay, blkdebug align=4096.
  Scenario s;
  CreateOptions back{.name = "back.qcow2", .format = ImageFormat::Qcow2, .size = 4 << 20, .cluster_bits = 9};
  CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2, .cluster_bits = 20};
  top.backing_file = "back.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  s.steps = {CreateStep{back}, CreateStep{top},
             IoStep{GraphSpec::of_image("back.qcow2"), {OpKind::Write, 0, 512, 1, false}},
             IoStep{GraphSpec::of_image("back.qcow2"), {OpKind::Write, 1024, 512, 1, false}}};
  GraphSpec f;
  f.filter = NodeKind::Blkdebug;
  f.align = 4096;
  f.child = std::make_shared<GraphSpec>(GraphSpec::of_image("top.qcow2"));
  s.export_spec = ExportSpec{f};
  s.queries = {Query::BaseAllocation, Query::AllocationDepth, Query::Content};
  QemuSystem q;
  s.host = *q.host();
  oracle::ScenarioResult r = oracle::judge_scenario(s, q);
  oracle::Registry reg = oracle::Registry::load(oracle::default_registry_dir());
  reg.classify(r.verdict.findings);
  ASSERT_FALSE(r.verdict.findings.empty());
  std::set<std::string> known;
  for (const auto& f : r.verdict.findings) {
    EXPECT_TRUE(f.known) << oracle::describe(f);
    known.insert(f.known_id);
  }
  EXPECT_TRUE(known.count("KF-001"));
  EXPECT_TRUE(known.count("KF-002"));
}

TEST(QemuSystem, LeavesNoProcessAndNoWorkspaceBehind) {
  // A private TMPDIR: other tests running in parallel make their own workspaces in /tmp.
  auto tmp = std::filesystem::temp_directory_path() / ("cc-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(tmp);
  const char* old = getenv("TMPDIR");
  std::string saved = old ? old : "";
  setenv("TMPDIR", tmp.c_str(), 1);
  {
    QemuSystem q;
    q.run(seed004());
  }
  if (old) setenv("TMPDIR", saved.c_str(), 1);
  else unsetenv("TMPDIR");
  EXPECT_EQ(children(), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(tmp));
  std::filesystem::remove_all(tmp);
}

TEST(QemuSystem, AToolRefusalIsAStepErrorNotACrash) {
  Scenario s = seed004();
  s.steps.push_back(IoStep{GraphSpec::of_image("top.qcow2"), {OpKind::WriteCompressed, 65536, 65536, 3, false}});
  QemuSystem q;
  Observation o = q.run(s);
  ASSERT_EQ(o.step_errors.size(), s.steps.size());
  EXPECT_NE(o.step_errors.back().find("Input/output error"), std::string::npos) << o.step_errors.back();
}

TEST(QemuSystem, MissingQemuNamesTheDebianPackage) {
  std::string path = getenv("PATH");
  setenv("PATH", "/nonexistent", 1);
  try {
    QemuSystem q;
    setenv("PATH", path.c_str(), 1);
    FAIL() << "constructed without qemu-img on PATH";
  } catch (const MissingProgram& e) {
    setenv("PATH", path.c_str(), 1);
    EXPECT_NE(std::string(e.what()).find("qemu-utils"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chaincheck::impl
