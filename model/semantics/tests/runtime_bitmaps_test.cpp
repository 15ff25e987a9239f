// QMP bitmaps on an open image (model/semantics/runtime_bitmaps.hpp): not persistent unless asked,
// gone when the daemon closes the image; merge is all or nothing.
#include "model/semantics/block_jobs.hpp"
#include "model/semantics/runtime_bitmaps.hpp"
#include "model/semantics/tests/model_fixture.hpp"

namespace chaincheck::model::testing {
namespace {

using K = BitmapAction::Kind;

class RuntimeBitmaps : public ModelTest {
 protected:
  std::optional<OpError> op(K kind, const std::string& name, bool persistent = false,
                            std::vector<std::pair<std::string, std::string>> sources = {},
                            std::optional<u64> granularity = {}, const std::string& image = "t.qcow2") {
    RuntimeBitmapOp o;
    o.kind = kind;
    o.image = image;
    o.name = name;
    o.persistent = persistent;
    o.sources = std::move(sources);
    o.granularity = granularity;
    return apply_runtime_bitmap_op(s, o);
  }
  const std::vector<DirtyBitmap>& bitmaps(const std::string& image = "t.qcow2") {
    return s.image(s.find(image)).qcow2().bitmaps;
  }
};

TEST_F(RuntimeBitmaps, OnlyPersistentBitmapsSurviveTheDaemonClosingTheImage) {
  qcow2("t.qcow2", 1 * MiB);
  ok(op(K::Add, "memory"));
  ok(op(K::Add, "stored", true));
  write("t.qcow2", 0, 4 * KiB, 1);  // marks both while open
  EXPECT_EQ(bitmaps().size(), 2u);
  close_runtime_bitmaps(s, "t.qcow2");
  ASSERT_EQ(bitmaps().size(), 1u);
  EXPECT_EQ(bitmaps()[0].name, "stored");
  EXPECT_TRUE(bitmaps()[0].dirty.at(0).value);
}

TEST_F(RuntimeBitmaps, AV2ImageTakesOnlyNonPersistentBitmaps) {
  qcow2("t.qcow2", 1 * MiB, {}, ImageFormat::Qcow2, 16, false, Preallocation::Off, false);
  ok(op(K::Add, "memory"));
  auto err = op(K::Add, "stored", true);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("v2"), std::string::npos) << err->message;
}

TEST_F(RuntimeBitmaps, AddRefusesWhatQemuRefusesWithoutQemuImgsPrefix) {
  qcow2("t.qcow2", 1 * MiB);
  ok(op(K::Add, "b"));
  auto twice = op(K::Add, "b");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->message, "Bitmap already exists: b");
  EXPECT_TRUE(op(K::Add, "", false));
  EXPECT_TRUE(op(K::Add, "g", false, {}, 1000));
  EXPECT_EQ(op(K::Clear, "missing")->message, "Dirty bitmap 'missing' not found");
}

TEST_F(RuntimeBitmaps, MergeWithAMissingSourceLeavesTheTargetUntouched) {
  qcow2("t.qcow2", 1 * MiB);
  ok(op(K::Add, "src", false, {}, 64 * KiB));
  ok(op(K::Add, "dst", false, {}, 4 * KiB));
  ok(op(K::Disable, "dst"));
  write("t.qcow2", 100 * KiB, 1 * KiB, 1);
  EXPECT_TRUE(op(K::Merge, "dst", false, {{"t.qcow2", "src"}, {"t.qcow2", "nope"}}));
  EXPECT_FALSE(bitmaps()[1].dirty.at(100 * KiB).value);
  ok(op(K::Merge, "dst", false, {{"t.qcow2", "src"}}));
  // The source's 64k granule, set at the target's 4k granularity: all of [64k, 128k).
  EXPECT_TRUE(bitmaps()[1].dirty.at(64 * KiB).value);
  EXPECT_TRUE(bitmaps()[1].dirty.at(127 * KiB).value);
  EXPECT_FALSE(bitmaps()[1].dirty.at(128 * KiB).value);
}

}  // namespace
}  // namespace chaincheck::model::testing

namespace chaincheck::model::testing {
namespace {

// bdrv_co_do_copy_on_readv writes with BDRV_REQ_WRITE_UNCHANGED below bdrv_co_write_req_finish.
TEST_F(RuntimeBitmaps, StreamCopiesIntoTheTopWithoutMarkingItsBitmaps) {
  qcow2("base.qcow2", 1 * MiB);
  write("base.qcow2", 0, 128 * KiB, 1);
  qcow2("t.qcow2", std::nullopt, "base.qcow2");
  ok(op(K::Add, "rt"));
  ok(stream_image(s, StreamOptions{.image = "t.qcow2"}));
  EXPECT_EQ(bitmaps()[0].dirty.extents().size(), 1u);
  EXPECT_FALSE(bitmaps()[0].dirty.at(0).value);
  // ... while a guest write still marks it.
  write("t.qcow2", 0, 1 * KiB, 2);
  EXPECT_TRUE(bitmaps()[0].dirty.at(0).value);
}

}  // namespace
}  // namespace chaincheck::model::testing
