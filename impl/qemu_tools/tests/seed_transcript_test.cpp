// The seed transcript realised end to end through QemuImg and QemuIoScript.
#include <gtest/gtest.h>

#include "impl/qemu_tools/tests/seed_chain.hpp"

namespace chaincheck::impl {
namespace {

using testing::build_seed_chain;
using testing::KiB;
using testing::seed_map;

TEST(SeedTranscript, QemuImgMapOfTheOverlayIsExact) {
  Workspace ws;
  build_seed_chain(ws);
  EXPECT_EQ(QemuImg(ws.path()).map(ImageRef::file("top.qcow2", "qcow2")), seed_map());
}

TEST(SeedTranscript, GuestSeesTheOverlayOverTheBase) {
  Workspace ws;
  build_seed_chain(ws);
  QemuIoResult r = QemuIoScript(ImageRef::file("top.qcow2", "qcow2"))
                       .read_only()
                       .read(0, 64 * KiB, 65)          // from base.raw
                       .read(64 * KiB, 64 * KiB, 69)   // the overlay's write shadows 66
                       .read(128 * KiB, 64 * KiB, 0)   // the overlay's zeroes shadow 67
                       .read(192 * KiB, 64 * KiB, 0)   // never written
                       .run(ws.path());
  EXPECT_TRUE(r.ok()) << r.first_error();
  ASSERT_EQ(r.commands.size(), 4u);
  for (const auto& c : r.commands) EXPECT_EQ(c.bytes, 64 * KiB);
}

TEST(SeedTranscript, QemuIoMapAndAllocSeeTheTopLayerOnly) {
  Workspace ws;
  build_seed_chain(ws);
  QemuIoResult r = QemuIoScript(ImageRef::file("top.qcow2", "qcow2"))
                       .read_only()
                       .map()
                       .alloc(0, 256 * KiB)
                       .alloc(64 * KiB)
                       .alloc(192 * KiB, 128 * KiB)
                       .run(ws.path());
  ASSERT_TRUE(r.ok()) << r.first_error();
  EXPECT_EQ(r.commands[0].map, (std::vector<QemuIoMapLine>{
                                   {0, 64 * KiB, false}, {64 * KiB, 128 * KiB, true}, {192 * KiB, 64 * KiB, false}}));
  EXPECT_EQ(r.commands[1].alloc, (QemuIoAlloc{128 * KiB, 256 * KiB, "0 bytes"}));
  EXPECT_EQ(r.commands[2].alloc, (QemuIoAlloc{512, 512, "64 KiB"}));  // default count: 512
  EXPECT_EQ(r.commands[3].alloc, (QemuIoAlloc{0, 64 * KiB, "192 KiB"}));  // clipped at EOF
}

TEST(SeedTranscript, InfoShowsTheChainTopFirst) {
  Workspace ws;
  build_seed_chain(ws);
  auto chain = QemuImg(ws.path()).info_chain(ImageRef::file("top.qcow2", "qcow2"));
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].filename, "top.qcow2");
  EXPECT_EQ(chain[0].format, "qcow2");
  EXPECT_EQ(chain[0].virtual_size, 262144u);  // taken from the backing file
  EXPECT_EQ(chain[0].backing_filename, "base.raw");
  EXPECT_EQ(chain[0].backing_format, "raw");
  EXPECT_EQ(chain[0].cluster_size, 65536u);
  EXPECT_EQ(chain[0].compat, "1.1");
  EXPECT_EQ(chain[0].extended_l2, false);
  EXPECT_EQ(chain[1].filename, "base.raw");
  EXPECT_EQ(chain[1].format, "raw");
  EXPECT_FALSE(chain[1].backing_filename.has_value());
}

}  // namespace
}  // namespace chaincheck::impl
