#include "impl/process/tests/child_processes.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace chaincheck::impl::testing {
namespace {

// /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces and parens.
bool read_stat(const std::string& pid, char& state, pid_t& ppid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string text;
  try {
    if (!std::getline(in, text)) return false;
  } catch (const std::ios_base::failure&) {
    return false;  // it exited while being read (libstdc++'s filebuf throws on ESRCH): gone
  }
  auto close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 1));
  return static_cast<bool>(rest >> state >> ppid);
}

}  // namespace

std::vector<pid_t> children_of(pid_t parent) {
  if (parent == 0) parent = getpid();
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    char state = 0;
    pid_t ppid = 0;
    if (read_stat(name, state, ppid) && ppid == parent) out.push_back(std::stoi(name));
  }
  return out;
}

bool process_alive(pid_t pid) {
  char state = 0;
  pid_t ppid = 0;
  return read_stat(std::to_string(pid), state, ppid) && state != 'Z';
}

}  // namespace chaincheck::impl::testing
