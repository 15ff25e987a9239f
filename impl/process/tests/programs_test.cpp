// The allow-list, package hints and refusal paths: nothing here starts a program.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include "impl/process/process.hpp"

namespace chaincheck::impl {
namespace {

// Sets an environment variable for one scope and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(AllowList, ContainsExactlyTheToolsChaincheckDrives) {
  std::vector<std::string> expected = {"nbd-server", "nbdinfo", "nbdkit", "qemu-img", "qemu-io",
                                       "qemu-nbd", "qemu-storage-daemon", "truncate"};
  auto got = allowed_programs();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
}

TEST(DebianPackage, NamesThePackageThatShipsEachTool) {
  EXPECT_EQ(debian_package_for("qemu-img"), "qemu-utils");
  EXPECT_EQ(debian_package_for("qemu-io"), "qemu-utils");
  EXPECT_EQ(debian_package_for("qemu-nbd"), "qemu-utils");
  EXPECT_EQ(debian_package_for("qemu-storage-daemon"), "qemu-system-common");
  EXPECT_EQ(debian_package_for("nbdkit"), "nbdkit");
  EXPECT_EQ(debian_package_for("nbdinfo"), "libnbd-bin");
  EXPECT_EQ(debian_package_for("nbd-server"), "nbd-server");
  EXPECT_EQ(debian_package_for("truncate"), "coreutils");
  EXPECT_THROW(debian_package_for("bash"), ToolError);
}

TEST(LocateProgram, RefusesProgramsOffTheAllowList) {
  for (const char* name : {"sh", "bash", "rm", "qemu-system-x86_64"}) {
    try {
      locate_program(name);
      ADD_FAILURE() << name << " was accepted";
    } catch (const MissingProgram&) {
      ADD_FAILURE() << name << " reported as missing instead of refused";
    } catch (const ToolError& e) {
      EXPECT_NE(std::string(e.what()).find("not a program chaincheck may run"), std::string::npos) << e.what();
    }
  }
}

TEST(LocateProgram, RefusesPathsEvenToAllowedNames) {
  EXPECT_THROW(locate_program("/usr/bin/qemu-img"), ToolError);
  EXPECT_THROW(locate_program("./qemu-img"), ToolError);
}

TEST(LocateProgram, MissingProgramNamesTheDebianPackage) {
  Workspace empty_dir;
  ScopedEnv path("PATH", empty_dir.path().string());
  const std::pair<const char*, const char*> cases[] = {
      {"qemu-img", "qemu-utils"}, {"qemu-storage-daemon", "qemu-system-common"},
      {"nbdinfo", "libnbd-bin"}, {"nbdkit", "nbdkit"}};
  for (auto [program, package] : cases) {
    try {
      locate_program(program);
      ADD_FAILURE() << program << " found on an empty PATH";
    } catch (const MissingProgram& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(program), std::string::npos) << msg;
      EXPECT_NE(msg.find(std::string("Debian package ") + package), std::string::npos) << msg;
    }
  }
}

TEST(LocateProgram, NeverSearchesTheCurrentDirectory) {
  // "" and "." in PATH mean "the current directory": a planted qemu-img there must not run.
  Workspace dir;
  const auto planted = dir.file("qemu-img");
  { std::ofstream(planted) << "#!/bin/sh\n"; }
  std::filesystem::permissions(planted, std::filesystem::perms::owner_all);
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  ScopedEnv path("PATH", ":.:bin");
  std::string msg = error_of([] { locate_program("qemu-img"); });
  std::filesystem::current_path(old_cwd);
  EXPECT_NE(msg.find("not installed"), std::string::npos) << msg;
}

TEST(RunProgram, RefusesProgramsOffTheAllowListWithoutStartingThem) {
  std::string msg = error_of([] { run_program({"sh", "-c", "echo hi"}); });
  EXPECT_NE(msg.find("'sh' is not a program chaincheck may run"), std::string::npos) << msg;
  EXPECT_THROW(run_program({}), ToolError);
}

TEST(RunProgram, MissingProgramIsReportedWithItsPackage) {
  Workspace empty_dir;
  ScopedEnv path("PATH", empty_dir.path().string());
  EXPECT_THROW(run_program({"nbdinfo", "--version"}), MissingProgram);
  std::string msg = error_of([] { run_checked({"qemu-io", "--version"}); });
  EXPECT_NE(msg.find("apt-get install qemu-utils"), std::string::npos) << msg;
}

TEST(RunResult, DescribesHowTheProgramEnded) {
  RunResult r;
  r.argv = {"qemu-img", "map", "my image.qcow2"};
  r.exit_code = 1;
  r.err = "\nqemu-img: Could not open 'my image.qcow2'\nmore\n";
  EXPECT_EQ(r.describe(), "qemu-img map 'my image.qcow2': exit 1: qemu-img: Could not open 'my image.qcow2'");
  r.timed_out = true;
  r.timeout = std::chrono::milliseconds(250);
  EXPECT_EQ(r.describe(), "qemu-img map 'my image.qcow2': timed out after 250 ms (killed)");
  EXPECT_FALSE(r.ok());
  RunResult ok;
  ok.argv = {"truncate"};
  ok.exit_code = 0;
  EXPECT_TRUE(ok.ok());
}

}  // namespace
}  // namespace chaincheck::impl
