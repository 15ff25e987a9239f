// The allow-list of programs chaincheck may start and where they come from.
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <sys/stat.h>

#include "impl/process/process.hpp"

namespace chaincheck::impl {
namespace {

const std::map<std::string, std::string>& package_of() {
  static const std::map<std::string, std::string> packages = {
      {"qemu-img", "qemu-utils"},
      {"qemu-io", "qemu-utils"},
      {"qemu-nbd", "qemu-utils"},
      {"qemu-storage-daemon", "qemu-system-common"},
      {"nbdkit", "nbdkit"},
      {"nbdinfo", "libnbd-bin"},
      {"nbd-server", "nbd-server"},
      {"truncate", "coreutils"},
  };
  return packages;
}

bool is_executable_file(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

std::string allowed_list_text() {
  std::string out;
  for (const auto& name : allowed_programs()) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

const std::vector<std::string>& allowed_programs() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, package] : package_of()) v.push_back(name);
    return v;
  }();
  return names;
}

std::string debian_package_for(const std::string& program) {
  auto it = package_of().find(program);
  if (it == package_of().end())
    throw ToolError("'" + program + "' is not a program chaincheck may run (allowed: " +
                    allowed_list_text() + ")");
  return it->second;
}

std::filesystem::path locate_program(const std::string& program) {
  // A bare name only: a path would bypass the allow-list.
  if (program.find('/') != std::string::npos || package_of().count(program) == 0)
    throw ToolError("'" + program + "' is not a program chaincheck may run (allowed: " +
                    allowed_list_text() + ")");
  const char* env = std::getenv("PATH");
  std::string path = env && *env ? env : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;  // "" would mean the current directory: never
    std::filesystem::path candidate = std::filesystem::path(dir) / program;
    if (candidate.is_absolute() && is_executable_file(candidate)) return candidate;
  }
  const std::string package = debian_package_for(program);
  throw MissingProgram(program + " is not installed (not found on PATH); install the Debian package " +
                       package + ": apt-get install " + package);
}

}  // namespace chaincheck::impl
