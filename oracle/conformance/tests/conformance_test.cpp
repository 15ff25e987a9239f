// The conformance judge against a scripted export: an honest one passes everything it can
// exercise, and each kind of wrong server fails exactly the check that names its fault.
#include "oracle/conformance/conformance.hpp"

#include <gtest/gtest.h>

#include "oracle/conformance/tests/fake_export.hpp"

namespace chaincheck::oracle::conformance {
namespace {

using testing::FakeExport;
using testing::FakeTarget;

// 1 MiB: data 0-64k, a hole reading zeroes 64k-1M; allocation depth 1 then 0.
FakeExport honest(u64 min_block = 1) {
  FakeExport e;
  e.min_block = min_block;
  std::fill(e.data.begin(), e.data.begin() + 65536, 0xab);
  e.contexts["base:allocation"] = {{0, 65536, 0}, {65536, (1 << 20) - 65536, 3}};
  e.contexts["qemu:allocation-depth"] = {{0, 65536, 1}, {65536, (1 << 20) - 65536, 0}};
  return e;
}

ConformanceReport check(FakeExport& e) {
  FakeTarget t(e);
  return run_conformance(t, "fake", {.max_queries = 200});
}

Status status(const ConformanceReport& r, const std::string& id, const std::string& ctx = "base:allocation") {
  const CheckResult* c = r.find(id, ctx);
  EXPECT_NE(c, nullptr) << id << " / " << ctx;
  return c ? c->status : Status::Skip;
}

std::vector<std::string> failing(const ConformanceReport& r) {
  std::vector<std::string> out;
  for (const auto& c : r.results)
    if (c.status == Status::Fail) out.push_back(c.check + "/" + c.context);
  return out;
}

TEST(NbdCheck, HonestExportPassesEveryCheckItCanExercise) {
  FakeExport e = honest();
  ConformanceReport r = check(e);
  EXPECT_EQ(failing(r), std::vector<std::string>{});
  EXPECT_FALSE(r.must_failed());
  for (const auto& id : check_ids())
    if (id != "zero-reads-zero" && id != "list-meta-context") { EXPECT_EQ(status(r, id, "qemu:allocation-depth"), Status::Pass) << id; }
  EXPECT_EQ(status(r, "zero-reads-zero"), Status::Pass);
  EXPECT_EQ(status(r, "zero-reads-zero", "qemu:allocation-depth"), Status::Skip);
  EXPECT_EQ(status(r, "list-meta-context", "export"), Status::Pass);
  EXPECT_LE(r.queries, 200u);
  EXPECT_EQ(e.opened, 4);  // main, without block size, one per context alone
  EXPECT_EQ(e.open_sessions, 0);
}

TEST(NbdCheck, ZeroFlagOverNonZeroBytesFailsZeroReadsZero) {
  FakeExport e = honest();
  e.data[700000] = 1;
  ConformanceReport r = check(e);
  EXPECT_EQ(failing(r), std::vector<std::string>{"zero-reads-zero/base:allocation"});
  EXPECT_TRUE(r.must_failed());
}

TEST(NbdCheck, ZeroReadBackStaysWithinTheByteBudget) {
  FakeExport e = honest();
  FakeTarget t(e);
  ConformanceReport r = run_conformance(t, "fake", {.max_read_bytes = 4096});
  EXPECT_LE(r.bytes_read, 4096u);
}

TEST(NbdCheck, SubBlockExtentsFailMinBlockMultipleAsShould) {
  FakeExport e = honest(4096);
  e.contexts["base:allocation"] = {{0, 512, 0}, {512, (1 << 20) - 512, 3}};
  std::fill(e.data.begin() + 512, e.data.end(), 0);
  ConformanceReport r = check(e);
  EXPECT_EQ(status(r, "min-block-multiple"), Status::Fail);
  EXPECT_EQ(status(r, "min-block-multiple", "qemu:allocation-depth"), Status::Pass);
  EXPECT_EQ(r.find("min-block-multiple", "base:allocation")->level, Level::Should);
  EXPECT_FALSE(r.must_failed());  // a SHOULD since NBD proto.md 6725f91
}

TEST(NbdCheck, IgnoringReqOneFailsReqOne) {
  FakeExport e = honest();
  e.ignore_req_one = true;
  // Extents every 512 bytes: any REQ_ONE query longer than that shows the fault.
  std::vector<model::NbdExtent> striped;
  for (u64 s = 0; s < e.size; s += 512) striped.push_back({s, 512, static_cast<std::uint32_t>((s / 512) % 2)});
  e.contexts["base:allocation"] = striped;
  e.data.assign(e.size, 1);
  ConformanceReport r = check(e);
  EXPECT_EQ(status(r, "req-one"), Status::Fail);
  EXPECT_EQ(status(r, "unaligned-tail"), Status::Fail);  // the REQ_ONE query across the last two blocks
  EXPECT_NE(r.find("unaligned-tail", "base:allocation")->why.find("req-one"), std::string::npos);
}

TEST(NbdCheck, DescriptorPastTheExportEndFailsWithinExport) {
  FakeExport e = honest();
  e.overshoot_end = true;
  ConformanceReport r = check(e);
  EXPECT_EQ(status(r, "within-export"), Status::Fail);
  EXPECT_EQ(status(r, "within-export", "qemu:allocation-depth"), Status::Fail);
  EXPECT_TRUE(r.must_failed());
}

TEST(NbdCheck, TwoChunksForOneContextFailReplyPerContext) {
  FakeExport e = honest();
  e.extra_chunk = true;
  ConformanceReport r = check(e);
  EXPECT_EQ(status(r, "reply-per-context"), Status::Fail);
}

TEST(NbdCheck, AnswersThatChangeFailRepeatableAndTiling) {
  FakeExport e = honest();
  e.flip_flop = true;
  ConformanceReport r = check(e);
  EXPECT_EQ(status(r, "repeatable"), Status::Fail);
  EXPECT_EQ(status(r, "repeatable", "qemu:allocation-depth"), Status::Fail);
  EXPECT_FALSE(r.must_failed());  // consistency is a SHOULD
}

TEST(NbdCheck, OneClientServerSkipsTheChecksThatNeedASecondSession) {
  FakeExport e = honest();
  e.one_client = true;
  ConformanceReport r = check(e);
  EXPECT_EQ(status(r, "interleaved"), Status::Skip);
  EXPECT_EQ(status(r, "tiling"), Status::Pass);
  EXPECT_EQ(failing(r), std::vector<std::string>{});
  // The tail without block size still ran: main, that session alone, main again.
  EXPECT_EQ(e.opened, 3);
  EXPECT_EQ(e.open_sessions, 0);
}

TEST(NbdCheck, NoContextsMeansEverythingSkippedAndNoFailure) {
  FakeExport e = honest();
  e.contexts.clear();
  e.list_supported = false;
  ConformanceReport r = check(e);
  EXPECT_EQ(failing(r), std::vector<std::string>{});
  EXPECT_EQ(status(r, "non-empty"), Status::Skip);
  EXPECT_EQ(status(r, "list-meta-context", "export"), Status::Skip);
  EXPECT_EQ(r.queries, 0u);
}

TEST(NbdCheck, UndefinedBaseAllocationBitsFailDefinedFlagsInHex) {
  FakeExport e = honest();
  e.contexts["base:allocation"][1].value = 0x13;
  ConformanceReport r = check(e);
  EXPECT_EQ(failing(r), std::vector<std::string>{"defined-flags/base:allocation"});
  EXPECT_NE(r.find("defined-flags", "base:allocation")->why.find("flags 0x13 set bits"), std::string::npos)
      << r.find("defined-flags", "base:allocation")->why;
  EXPECT_FALSE(r.must_failed());  // reserved bits: servers SHOULD send zero, clients MUST ignore
}

TEST(NbdCheck, TableAndJsonNameEveryCell) {
  FakeExport e = honest();
  e.data[700000] = 1;
  ConformanceReport r = check(e);
  std::string t = table_text(r);
  EXPECT_NE(t.find("| zero-reads-zero | MUST | "), std::string::npos) << t;
  EXPECT_NE(t.find("FAIL"), std::string::npos);
  auto j = to_json(r);
  EXPECT_EQ(j["verdict"], "must-violated");
  EXPECT_EQ(j["checks"].size(), r.results.size());
}

}  // namespace
}  // namespace chaincheck::oracle::conformance
