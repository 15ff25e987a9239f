#include "oracle/nbd_spec.hpp"

#include <gtest/gtest.h>

namespace chaincheck::oracle {
namespace {

model::ContextReply reply(std::string ctx, u64 off, std::vector<std::pair<u64, std::uint32_t>> ex) {
  model::ContextReply r;
  r.context = std::move(ctx);
  r.offset = off;
  u64 pos = off;
  for (auto [len, v] : ex) {
    r.extents.push_back({pos, len, v});
    pos += len;
  }
  return r;
}

std::vector<std::string> rules(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.rule);
  return out;
}

TEST(NbdSpec, CompliantReplyHasNoFindings) {
  EXPECT_TRUE(check_block_status_reply(reply("base:allocation", 0, {{4096, 0}, {8192, 3}}), {12288, 4096, 0}).empty());
}

// Seed 002: QEMU sends 512-byte extents under blkdebug align=4096.
TEST(NbdSpec, ExtentShorterThanMinimumBlockIsAViolation) {
  auto fs = check_block_status_reply(reply("base:allocation", 0, {{512, 0}, {512, 3}, {3072, 0}}), {1 << 20, 4096, 0});
  EXPECT_EQ(rules(fs), (std::vector<std::string>{"extent-not-multiple-of-min-block", "extent-not-multiple-of-min-block",
                                                 "extent-not-multiple-of-min-block"}));
  EXPECT_EQ(fs[0].cls, FindingClass::NbdSpec);
}

TEST(NbdSpec, UnalignedExportEndMayEndTheLastExtent) {
  EXPECT_TRUE(check_block_status_reply(reply("base:allocation", 0, {{4096, 0}, {1000, 3}}), {5096, 4096, 0}).empty());
}

TEST(NbdSpec, ZeroLengthUndefinedFlagsAndPastTheEndAreViolations) {
  auto fs = check_block_status_reply(reply("base:allocation", 0, {{0, 0}, {512, 4}, {1024, 0}}), {1024, 1, 0});
  EXPECT_EQ(rules(fs), (std::vector<std::string>{"zero-length-extent", "undefined-flags", "extent-past-export-end"}));
}

TEST(NbdSpec, DepthBeyondTheChainIsOutOfRange) {
  auto fs = check_block_status_reply(reply("qemu:allocation-depth", 0, {{512, 3}}), {512, 1, 2});
  EXPECT_EQ(rules(fs), (std::vector<std::string>{"depth-out-of-range"}));
}

TEST(NbdSpec, EmptyReplyIsAViolation) {
  EXPECT_EQ(rules(check_block_status_reply(reply("base:allocation", 0, {}), {512, 1, 0})),
            (std::vector<std::string>{"empty-reply"}));
}

}  // namespace
}  // namespace chaincheck::oracle
