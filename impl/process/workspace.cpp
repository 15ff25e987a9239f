// Private temporary directories, removed with their contents.
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "impl/process/cleanup_registry.hpp"
#include "impl/process/process.hpp"

namespace chaincheck::impl {

Workspace::Workspace() {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp && *tmp ? tmp : "/tmp";
  // Short on purpose: socket paths inside must stay under 108 bytes.
  std::string templ = base + "/cc-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    throw ToolError("cannot create a workspace under " + base + ": " + std::strerror(errno));
  path_ = buf.data();
  ::chmod(path_.c_str(), 0700);
  cleanup::register_dir(path_.string());
}

Workspace::~Workspace() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  cleanup::unregister_dir(path_.string());
}

Workspace::Workspace(Workspace&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }

Workspace& Workspace::operator=(Workspace&& o) noexcept {
  if (this != &o) {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
      cleanup::unregister_dir(path_.string());
    }
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

}  // namespace chaincheck::impl
