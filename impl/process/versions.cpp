#include "impl/process/versions.hpp"

#include <cctype>
#include <sstream>

#include "impl/process/process.hpp"

namespace chaincheck::impl {
namespace {

std::string version_output(const std::string& program) {
  RunOptions opts;
  opts.timeout = std::chrono::seconds(10);
  RunResult r = run_program({program, "--version"}, opts);
  if (!r.ok()) throw ToolError(r.describe());
  return r.out;
}

std::string line_starting_with(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

// Missing and unreadable tools are reported, not fatal: a version is metadata.
template <typename F>
std::string or_status(F&& f) {
  try {
    std::string v = f();
    return v.empty() ? "unknown" : v;
  } catch (const MissingProgram&) {
    return "missing";
  } catch (const ToolError&) {
    return "unknown";
  }
}

}  // namespace

std::string parse_version_line(const std::string& line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) continue;
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(line[i - 1])) || line[i - 1] == '.')) continue;
    size_t j = i;
    int dots = 0;
    while (j < line.size() && (std::isdigit(static_cast<unsigned char>(line[j])) ||
                               (line[j] == '.' && j + 1 < line.size() &&
                                std::isdigit(static_cast<unsigned char>(line[j + 1]))))) {
      dots += line[j] == '.';
      ++j;
    }
    if (dots > 0) return line.substr(i, j - i);
    i = j;
  }
  return "";
}

std::string tool_version(const std::string& program) {
  const std::string out = version_output(program);
  return parse_version_line(out.substr(0, out.find('\n')));
}

std::map<std::string, std::string> ToolVersions::as_map() const {
  return {{"qemu", qemu}, {"libnbd", libnbd}, {"nbdkit", nbdkit}};
}

ToolVersions detect_versions() {
  ToolVersions v;
  v.qemu = or_status([] { return tool_version("qemu-img"); });
  v.nbdkit = or_status([] { return tool_version("nbdkit"); });
  // nbdinfo prints "nbdinfo 1.14.2" then "libnbd 1.14.2": the library is what matters.
  v.libnbd = or_status([] { return parse_version_line(line_starting_with(version_output("nbdinfo"), "libnbd ")); });
  return v;
}

}  // namespace chaincheck::impl
