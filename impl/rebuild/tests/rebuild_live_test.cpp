// Seed 004's chain rebuilt for real (qemu-img, qemu-nbd, libnbd): from base:allocation
// alone the zeroed cluster of top is skipped and base's 'C' shows through at 128 KiB; with
// qemu:allocation-depth the rebuilt chain reads exactly like the original.
#include <gtest/gtest.h>

#include "impl/process/tests/child_processes.hpp"
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "impl/rebuild/qemu_rebuilder.hpp"
#include "impl/rebuild/tests/seed004_scenario.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "oracle/rebuild_check.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;

class Seed004LiveRebuild : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    QemuRebuilder real;
    Scenario s = testing::seed004_rebuild_scenario();
    s.host = measure_host_fs();
    check_ = new oracle::RebuildCheck(oracle::check_rebuild(s, real));
  }
  static void TearDownTestSuite() {
    delete check_;
    check_ = nullptr;
  }
  static const RebuildResult& real(RebuildStrategy st) {
    for (const auto& r : check_->observed.results)
      if (r.strategy == st) return r;
    throw std::logic_error("strategy not run");
  }
  static oracle::RebuildCheck* check_;
};
oracle::RebuildCheck* Seed004LiveRebuild::check_ = nullptr;

TEST_F(Seed004LiveRebuild, RebuildRunsWithoutErrors) {
  EXPECT_EQ(check_->observed.error, "");
  EXPECT_EQ(check_->observed.chain, (std::vector<std::string>{"base.raw", "top.qcow2"}));
  for (const auto& r : check_->observed.results) EXPECT_EQ(r.error, "") << to_string(r.strategy);
}

TEST_F(Seed004LiveRebuild, BaseAllocationAloneFirstDiffersAtByte131072) {
  const RebuildResult& r = real(RebuildStrategy::BaseAllocation);
  EXPECT_EQ(r.first_wrong(), std::optional<u64>(131072));
  EXPECT_EQ(r.wrong, (std::vector<ByteRange>{{131072, 65536}}));
}

TEST_F(Seed004LiveRebuild, AllocationDepthRebuildsTheChainExactly) {
  EXPECT_EQ(real(RebuildStrategy::AllocationDepth).wrong, std::vector<ByteRange>{});
}

TEST_F(Seed004LiveRebuild, TopLayerAloneIsReportedAsInTheSeed) {
  // qemu-nbd -A on json:{"driver":"qcow2","backing":null,...}: clusters 0, 2, 3 HOLE|ZERO,
  // only allocation depth tells the zeroed cluster 2 (local) from 0 and 3.
  const LayerRebuild& top = real(RebuildStrategy::BaseAllocation).layers.at(1);
  EXPECT_EQ(top.base_allocation, (std::vector<NbdExtent>{{0, 65536, 3}, {65536, 65536, 0}, {131072, 131072, 3}}));
  EXPECT_EQ(top.allocation_depth, (std::vector<NbdExtent>{{0, 65536, 0}, {65536, 131072, 1}, {196608, 65536, 0}}));
}

TEST_F(Seed004LiveRebuild, RealPlansAreTheModelsPlans) {
  ASSERT_EQ(check_->predicted.results.size(), check_->observed.results.size());
  for (std::size_t i = 0; i < check_->observed.results.size(); ++i) {
    const auto& p = check_->predicted.results[i];
    const auto& o = check_->observed.results[i];
    ASSERT_EQ(p.layers.size(), o.layers.size());
    for (std::size_t l = 0; l < o.layers.size(); ++l) EXPECT_EQ(p.layers[l].plan, o.layers[l].plan) << o.layers[l].image;
  }
}

TEST_F(Seed004LiveRebuild, TheOracleFindsNothingToReport) {
  for (const auto& f : check_->findings) ADD_FAILURE() << oracle::describe(f);
}

std::size_t children() { return chaincheck::impl::testing::children_of().size(); }

TEST(QemuRebuilder, LeavesNoServerRunningAndReportsAMissingChain) {
  QemuRebuilder real;
  Scenario s = testing::seed004_rebuild_scenario();
  s.export_spec = ExportSpec{GraphSpec::of_image("nowhere.qcow2")};
  RebuildObservation o = real.rebuild(s, all_rebuild_strategies());
  EXPECT_NE(o.error, "");
  EXPECT_EQ(children(), 0u);
}

}  // namespace
}  // namespace chaincheck::impl
