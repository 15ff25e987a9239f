#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "impl/process/process.hpp"
#include "impl/process/versions.hpp"

namespace chaincheck::impl {
namespace {

bool dotted(const std::string& v) { return std::regex_match(v, std::regex(R"(\d+(\.\d+)+)")); }

TEST(ToolVersion, QemuToolsFromOnePackageAgree) {
  const std::string img = tool_version("qemu-img");
  EXPECT_TRUE(dotted(img)) << img;
  EXPECT_EQ(tool_version("qemu-io"), img);
  EXPECT_EQ(tool_version("qemu-nbd"), img);
}

TEST(DetectVersions, ReadsQemuLibnbdAndNbdkit) {
  ToolVersions v = detect_versions();
  EXPECT_EQ(v.qemu, tool_version("qemu-img"));
  EXPECT_TRUE(dotted(v.libnbd)) << v.libnbd;
  EXPECT_TRUE(dotted(v.nbdkit)) << v.nbdkit;
  EXPECT_EQ(v.as_map().at("libnbd"), v.libnbd);
}

TEST(DetectVersions, MissingToolsAreReportedAsMissing) {
  Workspace empty;
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", empty.path().c_str(), 1);
  ToolVersions v = detect_versions();
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(v.qemu, "missing");
  EXPECT_EQ(v.libnbd, "missing");
  EXPECT_EQ(v.nbdkit, "missing");
  EXPECT_THROW(tool_version("bash"), ToolError);
}

}  // namespace
}  // namespace chaincheck::impl
