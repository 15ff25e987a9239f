#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "impl/process/cleanup_registry.hpp"
#include "impl/process/process.hpp"

namespace chaincheck::impl {
namespace {

TEST(Workspace, IsAPrivateShortDirectory) {
  Workspace ws;
  struct stat st {};
  ASSERT_EQ(::stat(ws.path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(ws.path().filename().string().rfind("cc-", 0), 0u) << ws.path();
  EXPECT_EQ(ws.file("nbd.sock"), ws.path() / "nbd.sock");
}

TEST(Workspace, IsRemovedWithEverythingInIt) {
  std::filesystem::path dir;
  {
    Workspace ws;
    dir = ws.path();
    std::filesystem::create_directories(ws.file("a/b/c"));
    std::ofstream(ws.file("a/b/c/data")) << "x";
    std::ofstream(ws.file("top")) << "y";
    std::filesystem::create_symlink("/etc/hostname", ws.file("link"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(std::filesystem::exists("/etc/hostname"));  // links are removed, not followed
}

TEST(Workspace, MoveKeepsOneOwner) {
  Workspace a;
  const auto dir = a.path();
  Workspace b(std::move(a));
  EXPECT_TRUE(a.path().empty());
  EXPECT_EQ(b.path(), dir);
  {
    Workspace c;
    const auto other = c.path();
    c = std::move(b);
    EXPECT_FALSE(std::filesystem::exists(other));  // the directory it held is gone
    EXPECT_TRUE(std::filesystem::exists(dir));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(Workspace, RegistersForInterruptCleanupWhileAlive) {
  const int before = cleanup::registered_dirs();
  {
    Workspace ws;
    EXPECT_EQ(cleanup::registered_dirs(), before + 1);
  }
  EXPECT_EQ(cleanup::registered_dirs(), before);
}

TEST(Workspace, HonoursTmpdir) {
  Workspace outer;
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  setenv("TMPDIR", outer.path().c_str(), 1);
  Workspace inner;
  if (old)
    setenv("TMPDIR", saved.c_str(), 1);
  else
    unsetenv("TMPDIR");
  EXPECT_EQ(inner.path().parent_path(), outer.path());
}

TEST(RemoveTreeSignalSafe, RemovesNestedTreesWithManyEntries) {
  Workspace holder;
  const auto root = holder.file("tree");
  for (int d = 0; d < 5; ++d) {
    auto sub = root / ("d" + std::to_string(d)) / "x" / "y";
    std::filesystem::create_directories(sub);
    for (int i = 0; i < 300; ++i) std::ofstream(sub / ("file-with-a-long-name-" + std::to_string(i))) << i;
  }
  EXPECT_TRUE(cleanup::remove_tree_signal_safe(root.c_str()));
  EXPECT_FALSE(std::filesystem::exists(root));
}

}  // namespace
}  // namespace chaincheck::impl
