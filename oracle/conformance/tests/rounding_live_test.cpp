// The second NBD server compared: seed 002's chain (512-byte clusters under a
// 64 KiB-cluster overlay) at align 4096, served by qemu-nbd under blkdebug, by nbdkit's
// blocksize filter over qemu-nbd, and rounded by the model's sticky rules.
#include <gtest/gtest.h>

#include "impl/servers/tests/live_support.hpp"
#include "cli/rounding_runner.hpp"

namespace chaincheck::oracle::conformance {
namespace {

using impl::testing::LiveTest;
using Extents = std::vector<model::NbdExtent>;

class RoundingLive : public LiveTest {
 protected:
  impl::Workspace ws_;
};

const RoundingSide& side(const RoundingComparison& c, const std::string& name) {
  for (const auto& s : c.sides)
    if (s.name == name) return s;
  throw std::runtime_error("no side " + name);
}

TEST_F(RoundingLive, QemuPassesSubBlockStatusWhileNbdkitAndTheModelRoundSticky) {
  auto in_ws = impl::RunOptions::in(ws_.path());
  impl::run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "base.qcow2", "1M"}, in_ws);
  // Every other 512-byte cluster of the first 16 KiB, and 512 bytes at 40 KiB.
  std::vector<std::string> io = {"qemu-io", "-f", "qcow2"};
  for (int i = 0; i < 32; i += 2) io.insert(io.end(), {"-c", "write -P 5 " + std::to_string(i * 512) + " 512"});
  io.insert(io.end(), {"-c", "write -P 6 40960 512", "base.qcow2"});
  impl::run_checked(io, in_ws);
  impl::run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=65536", "-b", "base.qcow2", "-F",
                     "qcow2", "top.qcow2"},
                    in_ws);

  RoundingComparison c = cli::compare_rounding_live(ws_.file("top.qcow2"), "qcow2", 4096);
  SCOPED_TRACE(rounding_table(c));
  EXPECT_EQ(c.size, 1u << 20);
  ASSERT_EQ(c.precise.size(), 34u);  // 16 data with 16 holes after them, 512 data at 40k, the rest
  // QEMU (KF-001): blkdebug's align becomes the advertised minimum, but the precise status
  // passes through unchanged: 512-byte extents under a 4096-byte minimum.
  const RoundingSide& q = side(c, "qemu blkdebug align");
  EXPECT_EQ(q.extents, c.precise);
  ASSERT_FALSE(q.violations.empty());
  for (const auto& f : q.violations) EXPECT_EQ(f.rule, "extent-not-multiple-of-min-block");
  // nbdkit's blocksize filter rounds like the sticky rules (HOLE and ZERO only where every
  // piece has them), so it agrees with the model extent for extent.
  const Extents rounded = {{0, 16384, 0}, {16384, 24576, 3}, {40960, 4096, 0}, {45056, (1u << 20) - 45056, 3}};
  EXPECT_EQ(side(c, "nbdkit blocksize").extents, rounded);
  EXPECT_EQ(side(c, "model (sticky)").extents, rounded);
  EXPECT_TRUE(side(c, "nbdkit blocksize").violations.empty());
  EXPECT_TRUE(side(c, "model (sticky)").violations.empty());
}

}  // namespace
}  // namespace chaincheck::oracle::conformance
