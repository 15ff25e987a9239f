// The fuzz seeds in corpus/qcow2_inspector are real images written by qemu-img/qemu-io
// (qemu-img check clean when made): each must open, map the whole disk and check clean.
#include <gtest/gtest.h>

#include <filesystem>

#include "impl/qcow2/qcow2_inspector.hpp"

namespace chaincheck::impl::testing {
namespace {

TEST(Qcow2Corpus, EverySeedImageParsesMapsAndChecksClean) {
  const std::filesystem::path dir = CHAINCHECK_QCOW2_CORPUS_DIR;
  int images = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".qcow2") continue;
    SCOPED_TRACE(entry.path().filename().string());
    ++images;
    const auto img = Qcow2Inspector::open_file(entry.path());
    const auto map = img.map();
    ASSERT_FALSE(map.empty());
    EXPECT_EQ(map.front().guest_offset, 0u);
    EXPECT_EQ(map.back().end(), img.virtual_size());
    const auto problems = img.check();
    EXPECT_TRUE(problems.empty()) << problems.front();
  }
  EXPECT_GE(images, 8);
}

}  // namespace
}  // namespace chaincheck::impl::testing
