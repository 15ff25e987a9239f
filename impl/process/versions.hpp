// Versions of the real tools, for reports and known-findings matching.
#pragma once

#include <map>
#include <string>

namespace chaincheck::impl {

// The first dotted version number in a `--version` line:
// "qemu-img version 7.2.22 (Debian 1:7.2+dfsg-7)" -> "7.2.22"; "" when there is none.
std::string parse_version_line(const std::string& line);

// Version of an allow-listed program from the first line of `program --version`.
// Throws MissingProgram when it is not installed, ToolError when it cannot be read.
std::string tool_version(const std::string& program);

struct ToolVersions {
  std::string qemu;    // from qemu-img
  std::string libnbd;  // from the "libnbd X" line of nbdinfo --version
  std::string nbdkit;
  // {"qemu": ..., "libnbd": ..., "nbdkit": ...} (model::Observation::versions form).
  std::map<std::string, std::string> as_map() const;
};

// Every field is a version, "missing" (not installed) or "unknown" (unreadable).
ToolVersions detect_versions();

}  // namespace chaincheck::impl
