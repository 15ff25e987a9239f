// QemuIoScript against qemu-io: one process, per-command outcomes, every way to name an image.
#include <gtest/gtest.h>

#include "impl/process/tests/child_processes.hpp"
#include "impl/qemu_tools/tests/seed_chain.hpp"

namespace chaincheck::impl {
namespace {

using testing::build_seed_chain;
using testing::entry;
using testing::KiB;

TEST(QemuIoScript, ReportsEachCommandsOutcomeFromOneRun) {
  Workspace ws;
  build_seed_chain(ws);
  QemuIoResult r = QemuIoScript(ImageRef::file("top.qcow2", "qcow2"))
                       .read(64 * KiB, 64 * KiB, 69)
                       .read(0, 64 * KiB, 1)        // wrong pattern
                       .write(300 * KiB, 4 * KiB, 1) // past the end
                       .map()
                       .discard(0, 1024 * KiB)       // past the end
                       .alloc(64 * KiB)
                       .run(ws.path());
  ASSERT_EQ(r.commands.size(), 6u);
  EXPECT_TRUE(r.commands[0].ok);
  EXPECT_FALSE(r.commands[1].ok);
  EXPECT_EQ(r.commands[1].error, "Pattern verification failed at offset 0, 65536 bytes");
  EXPECT_FALSE(r.commands[2].ok);
  EXPECT_EQ(r.commands[2].error, "write failed: Input/output error");
  EXPECT_TRUE(r.commands[3].ok);
  EXPECT_EQ(r.commands[3].map.size(), 3u);
  EXPECT_FALSE(r.commands[4].ok);
  EXPECT_EQ(r.commands[4].error, "discard failed: Input/output error");
  EXPECT_TRUE(r.commands[5].ok);
  EXPECT_TRUE(r.unexplained.empty());
  // qemu-io 7.2 exits 1 when any command failed; the per-command view is what counts.
  EXPECT_EQ(r.run.exit_code, 1);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.first_error(), "read -P 1 0 65536: Pattern verification failed at offset 0, 65536 bytes");
}

TEST(QemuIoScript, JsonAndImageOptsOpenTheSameChain) {
  Workspace ws;
  build_seed_chain(ws);
  const std::vector<QemuIoMapLine> top_only = {{0, 64 * KiB, false}, {64 * KiB, 128 * KiB, true}, {192 * KiB, 64 * KiB, false}};
  for (const ImageRef& image :
       {ImageRef::json(R"({"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}})"),
        ImageRef::image_opts("driver=qcow2,file.filename=top.qcow2")}) {
    QemuIoResult r = QemuIoScript(image).read_only().map().read(0, 64 * KiB, 65).run(ws.path());
    EXPECT_TRUE(r.ok()) << r.first_error();
    EXPECT_EQ(r.commands[0].map, top_only);
  }
}

TEST(QemuIoScript, CompressedAndUnmappedZeroWritesAsQemuImgMapsThem) {
  Workspace ws;
  QemuImg img(ws.path());
  CreateOptions c;
  c.size = 256 * KiB;
  img.create("c.qcow2", c);
  const ImageRef image = ImageRef::file("c.qcow2", "qcow2");
  QemuIoResult r = QemuIoScript(image)
                       .write_compressed(0, 64 * KiB, 3)
                       .write(64 * KiB, 64 * KiB, 4)
                       .write_zeroes(64 * KiB, 64 * KiB, /*unmap=*/true)
                       .write_zeroes(128 * KiB, 64 * KiB)
                       .read(0, 64 * KiB, 3)
                       .read(64 * KiB, 128 * KiB, 0)
                       .alloc(0, 256 * KiB)
                       .run(ws.path());
  ASSERT_TRUE(r.ok()) << r.first_error();
  EXPECT_EQ(r.commands[6].alloc, (QemuIoAlloc{192 * KiB, 256 * KiB, "0 bytes"}));
  // A compressed cluster has data but no host offset to report.
  EXPECT_EQ(img.map(image), (std::vector<MapEntry>{entry(0, 64 * KiB, 0, true, false, true),
                                                   entry(64 * KiB, 128 * KiB, 0, true, true, false),
                                                   entry(192 * KiB, 64 * KiB, 0, false, true, false)}));
}

TEST(QemuIoScript, UnopenableImageIsAToolErrorNamingIt) {
  Workspace ws;
  try {
    QemuIoScript(ImageRef::file("absent.qcow2", "qcow2")).alloc(0).run(ws.path());
    FAIL() << "no error";
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("can't open device absent.qcow2"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(testing::children_of().empty());
}

TEST(QemuIoScript, ReadOnlyRefusesWrites) {
  Workspace ws;
  build_seed_chain(ws);
  QemuIoResult r = QemuIoScript(ImageRef::file("top.qcow2", "qcow2"))
                       .read_only()
                       .write(0, 512, 1)
                       .read(0, 512, 65)
                       .write_zeroes(512, 512)
                       .run(ws.path());
  ASSERT_EQ(r.commands.size(), 3u);
  // qemu-io says so on stderr only, once per refused write.
  EXPECT_FALSE(r.commands[0].ok);
  EXPECT_EQ(r.commands[0].error, "qemu-io: Block node is read-only");
  EXPECT_TRUE(r.commands[1].ok);
  EXPECT_FALSE(r.commands[2].ok);
  EXPECT_EQ(r.commands[2].error, "qemu-io: Block node is read-only");
  EXPECT_EQ(r.first_error(), "write -P 1 0 512: qemu-io: Block node is read-only");
}

}  // namespace
}  // namespace chaincheck::impl
