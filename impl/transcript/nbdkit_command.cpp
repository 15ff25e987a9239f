#include "impl/transcript/nbdkit_command.hpp"

#include <algorithm>
#include <filesystem>

#include "impl/transcript/shell_words.hpp"
#include "impl/transcript/transcript.hpp"

namespace chaincheck::impl {

namespace {

[[noreturn]] void bad(int line, const std::string& what) { throw TranscriptError(line, "nbdkit: " + what); }

// Parameters each plugin and filter takes (nbdkit-file-plugin(1), nbdkit-nbd-plugin(1),
// nbdkit-blocksize-filter(1), nbdkit-blocksize-policy-filter(1) of nbdkit 1.32).
const std::vector<std::string>& keys_of(const std::string& what) {
  static const std::vector<std::string> file = {"file"}, nbd = {"socket", "export"},
                                        blocksize = {"minblock", "maxdata", "maxlen"},
                                        policy = {"blocksize-minimum", "blocksize-preferred", "blocksize-maximum",
                                                  "blocksize-error-policy", "blocksize-write-disconnect"},
                                        none;
  if (what == "file") return file;
  if (what == "nbd") return nbd;
  if (what == "blocksize") return blocksize;
  if (what == "blocksize-policy") return policy;
  return none;
}

std::uint64_t power_of_two(const std::string& v, int line, const std::string& key) {
  auto n = transcript_size(v);
  if (!n || *n == 0 || (*n & (*n - 1)) != 0) bad(line, key + "='" + v + "' is not a power of two");
  return *n;
}

}  // namespace

bool NbdkitRun::has_filter(const std::string& f) const {
  return std::find(filters.begin(), filters.end(), f) != filters.end();
}

std::string NbdkitRun::describe() const {
  std::string s = "nbdkit";
  for (const auto& f : filters) {
    s += " --filter=" + f;
    if (f == "blocksize") s += "(minblock=" + std::to_string(minblock.value_or(1)) + ")";
    if (f == "blocksize-policy" && policy_minimum) s += "(blocksize-minimum=" + std::to_string(*policy_minimum) + ")";
  }
  return s + (plugin == Plugin::File ? " file " + file : " nbd");
}

bool same_socket(const std::string& a, const std::string& b) {
  return a == b || std::filesystem::path(a).filename() == std::filesystem::path(b).filename();
}

NbdkitRun parse_nbdkit(const std::vector<std::string>& argv, bool background, int line) {
  NbdkitRun k;
  k.background = background;
  std::vector<std::string> positional;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& opt) -> std::string {
      if (a.size() > opt.size() && a.compare(0, opt.size() + 1, opt + "=") == 0) return a.substr(opt.size() + 1);
      if (i + 1 >= argv.size()) bad(line, "option " + opt + " needs a value");
      return argv[++i];
    };
    if (a == "-U" || a == "--unix" || a.rfind("--unix=", 0) == 0) {
      k.socket = value(a == "-U" ? "-U" : "--unix");
      if (*k.socket == "-") bad(line, "-U - (a socket nbdkit chooses) is not supported: name the socket");
    } else if (a == "-r" || a == "--readonly" || a == "--read-only") {
      k.read_only = true;
    } else if (a == "-f" || a == "--foreground" || a == "--exit-with-parent") {
      // The runner always starts nbdkit in the foreground, exiting with its parent.
    } else if (a == "--filter" || a.rfind("--filter=", 0) == 0) {
      std::string f = value("--filter");
      if (f != "blocksize" && f != "blocksize-policy")
        bad(line, "filter '" + f + "' is not supported (blocksize, blocksize-policy)\n" + supported_grammar());
      if (!k.filters.empty()) bad(line, "only one filter is supported");
      k.filters.push_back(f);
    } else if (a.size() > 1 && a[0] == '-') {
      bad(line, "option '" + a + "' is not supported\n" + supported_grammar());
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty()) bad(line, "needs a plugin (file or nbd)");
  const std::string plugin = positional[0];
  if (plugin == "file") k.plugin = NbdkitRun::Plugin::File;
  else if (plugin == "nbd") k.plugin = NbdkitRun::Plugin::Nbd;
  else bad(line, "plugin '" + plugin + "' is not supported (file, nbd)\n" + supported_grammar());
  for (std::size_t i = 1; i < positional.size(); ++i) {
    const std::string& p = positional[i];
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      // The file plugin's magic parameter: a bare FILE means file=FILE.
      if (k.plugin == NbdkitRun::Plugin::File && k.file.empty() && i == 1) {
        k.file = p;
        continue;
      }
      bad(line, "'" + p + "' is not key=value");
    }
    std::string key = p.substr(0, eq), val = p.substr(eq + 1);
    bool known = false;
    for (const std::string& owner : std::vector<std::string>{plugin, k.filters.empty() ? "" : k.filters[0]}) {
      const auto& keys = keys_of(owner);
      known = known || std::find(keys.begin(), keys.end(), key) != keys.end();
    }
    if (!known) bad(line, "parameter '" + key + "' is not supported by the " + plugin + " plugin" +
                              (k.filters.empty() ? "" : " or the " + k.filters[0] + " filter"));
    if (key == "file") {
      if (!k.file.empty()) bad(line, "file given twice");
      k.file = val;
    } else if (key == "socket") {
      k.nbd_socket = val;
    } else if (key == "export") {
      k.nbd_export = val;
    } else {
      if (key == "minblock") k.minblock = power_of_two(val, line, key);
      if (key == "blocksize-minimum") k.policy_minimum = power_of_two(val, line, key);
      if ((key == "maxdata" || key == "maxlen") && !transcript_size(val)) bad(line, key + "='" + val + "' is not a size");
      k.params.emplace_back(key, val);
    }
  }
  if (k.plugin == NbdkitRun::Plugin::File && k.file.empty()) bad(line, "the file plugin needs file=FILE");
  if (k.plugin == NbdkitRun::Plugin::Nbd && k.nbd_socket.empty())
    bad(line, "the nbd plugin needs socket=SOCKET of an earlier qemu-nbd or qemu-storage-daemon (never TCP)");
  return k;
}

void check_nbdkit_sockets(const std::vector<TranscriptCommand>& commands) {
  std::vector<std::string> sockets;  // of the servers started so far
  for (const TranscriptCommand& c : commands) {
    if (auto* n = std::get_if<QemuNbd>(&c.command); n && n->socket) sockets.push_back(*n->socket);
    if (auto* d = std::get_if<StorageDaemonRun>(&c.command)) sockets.push_back(d->socket);
    auto* k = std::get_if<NbdkitRun>(&c.command);
    if (!k) continue;
    if (k->plugin == NbdkitRun::Plugin::Nbd &&
        std::none_of(sockets.begin(), sockets.end(), [&](const std::string& s) { return same_socket(s, k->nbd_socket); }))
      throw TranscriptError(c.line, "nbdkit: socket=" + k->nbd_socket +
                                        " is not the socket of a qemu-nbd (-k) or qemu-storage-daemon line before it");
  }
}

}  // namespace chaincheck::impl
