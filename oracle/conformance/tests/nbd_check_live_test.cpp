// nbd-check against the real NBD servers installed here: each test asserts the table it
// gets (which cells are not `pass`, and why), not just that it ran.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "impl/nbd/nbd_client.hpp"
#include "impl/servers/nbd_server.hpp"
#include "impl/servers/nbdkit_server.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "impl/servers/storage_daemon.hpp"
#include "impl/servers/tests/live_support.hpp"
#include "cli/nbd_uri_target.hpp"
#include "oracle/conformance/conformance.hpp"

namespace chaincheck::oracle::conformance {
namespace {

using impl::RunOptions;
using impl::Workspace;
using impl::testing::LiveTest;

constexpr const char* kAlloc = "base:allocation";
constexpr const char* kDepth = "qemu:allocation-depth";
constexpr u64 kUnaligned = 1000001;  // not a multiple of 512

ConformanceReport nbd_check(const std::string& uri) {
  cli::NbdUriTarget target(uri);
  return run_conformance(target, uri, {.max_queries = 300});
}

std::string unix_uri(const std::filesystem::path& socket, const std::string& export_name = "") {
  return "nbd+unix:///" + export_name + "?socket=" + socket.string();
}

// Every cell that is not `pass`: "check/context" -> "FAIL" or "skip".
std::map<std::string, std::string> not_passing(const ConformanceReport& r) {
  std::map<std::string, std::string> out;
  for (const auto& c : r.results)
    if (c.status != Status::Pass) out[c.check + "/" + c.context] = to_string(c.status);
  return out;
}

std::string why(const ConformanceReport& r, const std::string& check, const std::string& ctx) {
  const CheckResult* c = r.find(check, ctx);
  return c ? c->why : "(no such cell)";
}

class NbdCheckLive : public LiveTest {
 protected:
  RunOptions in_ws() const { return RunOptions::in(ws_.path()); }
  // 1,000,001 bytes (an unaligned tail): data at 0-4k and 64k-72k, the rest a hole.
  std::filesystem::path unaligned_raw() {
    impl::run_checked({"truncate", "-s", std::to_string(kUnaligned), "u.raw"}, in_ws());
    impl::run_checked({"qemu-io", "-f", "raw", "-c", "write -P 7 0 4k", "-c", "write -P 9 64k 8k", "u.raw"}, in_ws());
    return ws_.file("u.raw");
  }
  // Seed 002's shape: base.qcow2 with 512-byte clusters, every other 512-byte cluster
  // written in the first 16 KiB, under top.qcow2 with 64 KiB clusters.
  std::filesystem::path small_cluster_chain() {
    impl::run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "base.qcow2", "1M"}, in_ws());
    std::vector<std::string> io = {"qemu-io", "-f", "qcow2"};
    for (int i = 0; i < 32; i += 2) io.insert(io.end(), {"-c", "write -P 5 " + std::to_string(i * 512) + " 512"});
    io.push_back("base.qcow2");
    impl::run_checked(io, in_ws());
    impl::run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=65536", "-b", "base.qcow2", "-F",
                       "qcow2", "top.qcow2"},
                      in_ws());
    return ws_.file("top.qcow2");
  }
  Workspace ws_;
};

const std::map<std::string, std::string> kOnlyDepthHasNoZeroFlag = {{"zero-reads-zero/qemu:allocation-depth", "skip"}};
const std::map<std::string, std::string> kAllPass = {};

TEST_F(NbdCheckLive, QemuNbdRoundsTheExportUpTo512AndPassesEveryCheck) {
  auto raw = unaligned_raw();
  impl::QemuNbdOptions o;
  o.read_only = true;
  o.allocation_depth = true;
  impl::QemuNbdServer server(impl::QemuNbdImage::file(raw.string(), "raw"), o);
  ConformanceReport r = nbd_check(unix_uri(server.socket()));
  EXPECT_EQ(r.size, 1000448u);  // qemu's raw driver: sizes in 512-byte sectors, rounded up
  EXPECT_EQ(r.negotiated, (std::vector<std::string>{kAlloc, kDepth}));
  EXPECT_EQ(not_passing(r), kOnlyDepthHasNoZeroFlag) << table_text(r);
  EXPECT_GT(r.bytes_read, 0u);
}

// qemu-nbd -e 1 serves one client at a time: a second connection is queued, never greeted.
// nbd-check gives up on it after its connect timeout (no hang) and skips what needs it.
TEST_F(NbdCheckLive, OneClientQemuNbdSkipsTheSecondSessionChecksInsteadOfHanging) {
  auto raw = unaligned_raw();
  impl::QemuNbdOptions o;
  o.read_only = true;
  o.allocation_depth = true;
  o.shared_clients = 1;
  impl::QemuNbdServer server(impl::QemuNbdImage::file(raw.string(), "raw"), o);
  auto started = std::chrono::steady_clock::now();
  ConformanceReport r = nbd_check(unix_uri(server.socket()));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  std::map<std::string, std::string> expected = kOnlyDepthHasNoZeroFlag;
  expected["interleaved/base:allocation"] = "skip";
  expected["interleaved/qemu:allocation-depth"] = "skip";
  EXPECT_EQ(not_passing(r), expected) << table_text(r);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("one client at a time") != std::string::npos;
  EXPECT_TRUE(noted) << table_text(r);
}

// KF-001: blkdebug align=4096 makes qemu-nbd advertise a 4096-byte minimum, yet the 512-byte
// clusters below show through as 512-byte extents. A SHOULD since NBD proto.md 6725f91.
TEST_F(NbdCheckLive, QemuNbdUnderBlkdebugAlignSendsSubMinimumExtents) {
  auto top = small_cluster_chain();
  impl::QemuNbdOptions o;
  o.read_only = true;
  o.allocation_depth = true;
  nlohmann::json graph = {{"driver", "blkdebug"},
                          {"align", 4096},
                          {"image", {{"driver", "qcow2"}, {"file", {{"driver", "file"}, {"filename", top.string()}}}}}};
  impl::QemuNbdServer server(impl::QemuNbdImage::json(graph), o);
  ConformanceReport r = nbd_check(unix_uri(server.socket()));
  EXPECT_EQ(r.min_block, 4096u);
  std::map<std::string, std::string> expected = kOnlyDepthHasNoZeroFlag;
  expected["min-block-multiple/base:allocation"] = "FAIL";
  expected["min-block-multiple/qemu:allocation-depth"] = "FAIL";
  EXPECT_EQ(not_passing(r), expected) << table_text(r);
  EXPECT_NE(why(r, "min-block-multiple", kAlloc).find("512 bytes"), std::string::npos) << why(r, "min-block-multiple", kAlloc);
  EXPECT_FALSE(r.must_failed());  // nbd-check exits 0 (1 with --strict)
}

// Every context it offers, a dirty bitmap included (dirtied by a write before the check),
// is negotiated and passes.
TEST_F(NbdCheckLive, StorageDaemonExportWithADirtyBitmapPassesEveryCheck) {
  auto raw = unaligned_raw();
  impl::StorageDaemon qsd;
  qsd.blockdev_add({{"driver", "raw"}, {"node-name", "n0"}, {"file", {{"driver", "file"}, {"filename", raw.string()}}}});
  qsd.block_dirty_bitmap_add("n0", "b0", 65536);
  std::string name = qsd.block_export_add_nbd("n0", "e0", /*writable=*/true, /*allocation_depth=*/true, {"b0"});
  {
    impl::NbdClient writer;
    writer.set_export_name(name);
    writer.connect_unix(qsd.nbd_socket());
    writer.pwrite(200000, std::vector<std::uint8_t>(4096, 1));
    writer.disconnect();
  }
  ConformanceReport r = nbd_check(unix_uri(qsd.nbd_socket(), name));
  const std::string bitmap = "qemu:dirty-bitmap:b0";
  EXPECT_EQ(r.negotiated, (std::vector<std::string>{kAlloc, kDepth, bitmap}));
  std::map<std::string, std::string> expected = kOnlyDepthHasNoZeroFlag;
  expected["zero-reads-zero/" + bitmap] = "skip";
  EXPECT_EQ(not_passing(r), expected) << table_text(r);
}

TEST_F(NbdCheckLive, NbdkitFilePluginKeepsTheUnalignedSizeAndPasses) {
  auto raw = unaligned_raw();
  impl::NbdkitServer server(impl::NbdkitOptions::file(raw));
  ConformanceReport r = nbd_check(unix_uri(server.socket()));
  EXPECT_EQ(r.size, kUnaligned);
  EXPECT_EQ(r.negotiated, (std::vector<std::string>{kAlloc}));
  EXPECT_EQ(not_passing(r), (std::map<std::string, std::string>{{"interleaved/base:allocation", "skip"}})) << table_text(r);
  EXPECT_GT(r.find("unaligned-tail", kAlloc)->queries, 0u);
}

TEST_F(NbdCheckLive, NbdkitMemoryPluginPasses) {
  impl::NbdkitServer server(impl::NbdkitOptions::memory(kUnaligned));
  ConformanceReport r = nbd_check(unix_uri(server.socket()));
  EXPECT_EQ(r.size, kUnaligned);
  EXPECT_EQ(not_passing(r), (std::map<std::string, std::string>{{"interleaved/base:allocation", "skip"}})) << table_text(r);
}

TEST_F(NbdCheckLive, NbdkitSparseRandomPluginZeroExtentsReadAsZeroes) {
  impl::NbdkitOptions o;
  o.plugin = "sparse-random";
  o.param("size", "64M").param("seed", "7");
  impl::NbdkitServer server(o);
  ConformanceReport r = nbd_check(unix_uri(server.socket()));
  EXPECT_EQ(not_passing(r), (std::map<std::string, std::string>{{"interleaved/base:allocation", "skip"}})) << table_text(r);
  EXPECT_GT(r.find("zero-reads-zero", kAlloc)->queries, 10u);  // many ZERO extents read back
}

TEST_F(NbdCheckLive, NbdkitBlocksizeFilterRoundsTheSizeDownAndPasses) {
  auto raw = unaligned_raw();
  impl::NbdkitServer server(impl::NbdkitOptions::file(raw).filter("blocksize").param("minblock", "4096"));
  ConformanceReport r = nbd_check(unix_uri(server.socket()));
  EXPECT_EQ(r.size, kUnaligned / 4096 * 4096);  // the filter hides the unaligned tail
  EXPECT_EQ(r.min_block, 1u);                   // and advertises no minimum (it does read-modify-write)
  EXPECT_EQ(not_passing(r), (std::map<std::string, std::string>{{"interleaved/base:allocation", "skip"}})) << table_text(r);
}

TEST_F(NbdCheckLive, NbdkitCowFilterPasses) {
  auto raw = unaligned_raw();
  impl::NbdkitServer server(impl::NbdkitOptions::file(raw).filter("cow"));
  ConformanceReport r = nbd_check(unix_uri(server.socket()));
  EXPECT_EQ(r.size, kUnaligned);
  EXPECT_EQ(not_passing(r), (std::map<std::string, std::string>{{"interleaved/base:allocation", "skip"}})) << table_text(r);
}

// KF-011: nbdkit's blocksize-policy filter advertises blocksize-minimum but forwards the
// 512-byte extents qemu-nbd sends for a 512-byte-cluster chain (its blocksize filter rounds).
TEST_F(NbdCheckLive, NbdkitBlocksizePolicyPassesSubMinimumExtents) {
  auto top = small_cluster_chain();
  impl::QemuNbdOptions o;
  o.read_only = true;
  impl::QemuNbdServer qemu(impl::QemuNbdImage::file(top.string(), "qcow2"), o);
  impl::NbdkitServer policy(
      impl::NbdkitOptions::nbd(qemu.socket()).filter("blocksize-policy").param("blocksize-minimum", "4096"));
  ConformanceReport r = nbd_check(unix_uri(policy.socket()));
  EXPECT_EQ(r.min_block, 4096u);
  EXPECT_EQ(not_passing(r), (std::map<std::string, std::string>{{"interleaved/base:allocation", "skip"},
                                                                 {"min-block-multiple/base:allocation", "FAIL"}}))
      << table_text(r);
  EXPECT_NE(why(r, "min-block-multiple", kAlloc).find("512 bytes"), std::string::npos);

  impl::NbdkitServer rounding(impl::NbdkitOptions::nbd(qemu.socket()).filter("blocksize").param("minblock", "4096"));
  EXPECT_EQ(not_passing(nbd_check(unix_uri(rounding.socket()))),
            (std::map<std::string, std::string>{{"interleaved/base:allocation", "skip"}}));
}

// Debian's nbd-server 3.24 negotiates no structured replies: no block status to judge, so
// every check is skipped (none fails), and the one session it serves is used up.
TEST_F(NbdCheckLive, NbdServerHasNoBlockStatusSoEveryCheckIsSkipped) {
  auto raw = unaligned_raw();
  impl::NbdServerOptions o;
  o.file = raw;
  impl::NbdServer server(o);
  ConformanceReport r = nbd_check(server.uri());
  EXPECT_FALSE(r.structured_replies);
  EXPECT_EQ(r.size, kUnaligned);
  EXPECT_TRUE(r.negotiated.empty());
  EXPECT_FALSE(r.offered.has_value());
  EXPECT_NE(r.list_error.find("structured replies"), std::string::npos) << r.list_error;
  for (const auto& c : r.results) EXPECT_EQ(c.status, Status::Skip) << c.check << "/" << c.context;
  EXPECT_EQ(r.queries, 0u);
  // One session per nbd-server -d: it exits after serving nbd-check.
  for (int i = 0; i < 200 && server.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(server.running());
  server.restart();
  EXPECT_TRUE(server.running());
  EXPECT_EQ(nbd_check(server.uri()).size, kUnaligned);
}

}  // namespace
}  // namespace chaincheck::oracle::conformance
