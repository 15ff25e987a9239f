// QemuImg against qemu-img: create options, the three ways of naming an image, map ranges,
// commit, rebase, convert, compare, and how failures surface.
#include <gtest/gtest.h>

#include "impl/qemu_tools/tests/seed_chain.hpp"

namespace chaincheck::impl {
namespace {

using namespace std::chrono_literals;
using testing::build_seed_chain;
using testing::entry;
using testing::KiB;
using testing::seed_map;

const ImageRef kTop = ImageRef::file("top.qcow2", "qcow2");

TEST(QemuImgCreate, Qcow2OptionsAreWhatInfoReports) {
  Workspace ws;
  QemuImg img(ws.path());
  CreateOptions ext;
  ext.size = 1024 * KiB;
  ext.cluster_size = 128 * KiB;
  ext.extended_l2 = true;
  ext.compat = "1.1";
  img.create("ext.qcow2", ext);
  ImageInfo e = img.info(ImageRef::file("ext.qcow2", "qcow2"));
  EXPECT_EQ(e.virtual_size, 1024 * KiB);
  EXPECT_EQ(e.cluster_size, 128 * KiB);
  EXPECT_EQ(e.extended_l2, true);
  EXPECT_EQ(e.compat, "1.1");

  CreateOptions old;
  old.size = 64 * KiB;
  old.compat = "0.10";
  img.create("old.qcow2", old);
  ImageInfo o = img.info(ImageRef::file("old.qcow2", "qcow2"));
  EXPECT_EQ(o.compat, "0.10");
  EXPECT_FALSE(o.extended_l2.has_value());
}

TEST(QemuImgCreate, PreallocatedRawIsAllData) {
  Workspace ws;
  QemuImg img(ws.path());
  CreateOptions o;
  o.format = "raw";
  o.size = 128 * KiB;
  o.preallocation = "full";
  img.create("full.raw", o);
  EXPECT_EQ(img.map(ImageRef::file("full.raw", "raw")),
            (std::vector<MapEntry>{entry(0, 128 * KiB, 0, true, false, true, 0)}));
}

TEST(QemuImgCreate, ToolRefusalSurfacesAsToolError) {
  Workspace ws;
  CreateOptions o;
  o.size = 64 * KiB;
  o.cluster_size = 3000;  // not a power of two: qemu-img itself refuses
  try {
    QemuImg(ws.path()).create("bad.qcow2", o);
    FAIL() << "no error";
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("Cluster size must be a power of two"), std::string::npos) << e.what();
  }
}

TEST(QemuImgMap, JsonAndImageOptsNameTheSameChain) {
  Workspace ws;
  build_seed_chain(ws);
  QemuImg img(ws.path());
  EXPECT_EQ(img.map(ImageRef::json(R"({"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}})")),
            seed_map());
  EXPECT_EQ(img.map(ImageRef::image_opts("driver=qcow2,file.filename=top.qcow2")), seed_map());
}

TEST(QemuImgMap, WithoutBackingUnallocatedClustersAreNotPresent) {
  Workspace ws;
  build_seed_chain(ws);
  const std::vector<MapEntry> expected = {
      entry(0, 65536, 0, false, true, false),
      entry(65536, 65536, 0, true, false, true, 327680),
      entry(131072, 65536, 0, true, true, false),
      entry(196608, 65536, 0, false, true, false),
  };
  QemuImg img(ws.path());
  EXPECT_EQ(img.map(ImageRef::image_opts("driver=qcow2,file.filename=top.qcow2,backing=")), expected);
  EXPECT_EQ(img.map(ImageRef::json(R"({"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"},"backing":null})")),
            expected);
}

TEST(QemuImgMap, StartOffsetAndMaxLengthClipTheEntries) {
  Workspace ws;
  build_seed_chain(ws);
  MapRange range;
  range.start_offset = 65536;
  range.max_length = 100000;
  EXPECT_EQ(QemuImg(ws.path()).map(kTop, range),
            (std::vector<MapEntry>{entry(65536, 65536, 0, true, false, true, 327680),
                                   entry(131072, 34464, 0, true, true, false)}));
}

TEST(QemuImgMap, MissingImageIsAToolErrorWithQemuImgsMessage) {
  Workspace ws;
  try {
    QemuImg(ws.path()).map(ImageRef::file("absent.qcow2", "qcow2"));
    FAIL() << "no error";
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("exit 1: qemu-img: Could not open 'absent.qcow2'"), std::string::npos)
        << e.what();
  }
}

TEST(QemuImgCommit, MovesTheOverlayIntoTheBase) {
  Workspace ws;
  build_seed_chain(ws);
  QemuImg img(ws.path());
  CommitOptions c;
  c.format = "qcow2";
  img.commit("top.qcow2", c);
  QemuIoResult r = QemuIoScript(ImageRef::file("base.raw", "raw"))
                       .read(0, 64 * KiB, 65)
                       .read(64 * KiB, 64 * KiB, 69)
                       .read(128 * KiB, 64 * KiB, 0)
                       .run(ws.path());
  EXPECT_TRUE(r.ok()) << r.first_error();
  EXPECT_TRUE(img.compare(kTop, ImageRef::file("base.raw", "raw")).identical);
}

TEST(QemuImgRebase, SafeRebaseToNothingKeepsTheGuestView) {
  Workspace ws;
  build_seed_chain(ws);
  QemuImg img(ws.path());
  ConvertOptions flat;
  flat.source_format = "qcow2";
  flat.target_format = "raw";
  img.convert(kTop, "flat.raw", flat);

  RebaseOptions r;
  r.format = "qcow2";
  r.backing_file = "";
  img.rebase("top.qcow2", r);
  EXPECT_FALSE(img.info(kTop).backing_filename.has_value());
  EXPECT_TRUE(img.compare(kTop, ImageRef::file("flat.raw", "raw")).identical);
}

TEST(QemuImgRebase, UnsafeRebaseOnlyRewritesTheHeader) {
  Workspace ws;
  build_seed_chain(ws);
  QemuImg img(ws.path());
  CreateOptions other;
  other.format = "raw";
  other.size = 262144;
  img.create("other.raw", other);
  RebaseOptions r;
  r.format = "qcow2";
  r.backing_file = "other.raw";
  r.backing_format = "raw";
  r.unsafe = true;
  img.rebase("top.qcow2", r);
  ImageInfo info = img.info(kTop);
  EXPECT_EQ(info.backing_filename, "other.raw");
  EXPECT_EQ(info.backing_format, "raw");
  // Data that came from base.raw is now read from the empty other.raw.
  QemuIoResult read = QemuIoScript(kTop).read(0, 64 * KiB, 0).read(64 * KiB, 64 * KiB, 69).run(ws.path());
  EXPECT_TRUE(read.ok()) << read.first_error();
}

TEST(QemuImgConvert, WithBackingFileKeepsTheChainAndTheContent) {
  Workspace ws;
  build_seed_chain(ws);
  QemuImg img(ws.path());
  ConvertOptions o;
  o.source_format = "qcow2";
  o.target_format = "qcow2";
  o.backing_file = "base.raw";
  o.backing_format = "raw";
  img.convert(kTop, "copy.qcow2", o);
  auto chain = img.info_chain(ImageRef::file("copy.qcow2", "qcow2"));
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].backing_filename, "base.raw");
  EXPECT_TRUE(img.compare(ImageRef::file("copy.qcow2", "qcow2"), kTop).identical);
}

TEST(QemuImgConvert, IntoAnExistingZeroedTarget) {
  Workspace ws;
  build_seed_chain(ws);
  QemuImg img(ws.path());
  CreateOptions t;
  t.format = "raw";
  t.size = 262144;
  img.create("target.raw", t);
  ConvertOptions o;
  o.source_format = "qcow2";
  o.target_format = "raw";
  o.existing_target = true;
  o.target_is_zero = true;
  img.convert(kTop, "target.raw", o);
  EXPECT_TRUE(img.compare(ImageRef::file("target.raw", "raw"), kTop).identical);

  ConvertOptions bad = o;
  bad.existing_target = false;
  EXPECT_THROW(img.convert(kTop, "target.raw", bad), ToolError);  // --target-is-zero needs -n
}

TEST(QemuImgCompare, ReportsTheFirstMismatch) {
  Workspace ws;
  build_seed_chain(ws);
  CompareResult c = QemuImg(ws.path()).compare(kTop, ImageRef::file("base.raw", "raw"));
  EXPECT_FALSE(c.identical);
  EXPECT_EQ(c.message, "Content mismatch at offset 65536!");
  EXPECT_THROW(QemuImg(ws.path()).compare(kTop, ImageRef::file("absent.raw", "raw")), ToolError);
}

TEST(QemuImg, DeadlineIsEnforced) {
  Workspace ws;
  build_seed_chain(ws);
  try {
    QemuImg(ws.path(), 1ms).map(kTop);
    FAIL() << "qemu-img finished within 1 ms";
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out after 1 ms"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chaincheck::impl
