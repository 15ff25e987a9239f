// nbdkit in a transcript (a second NBD server): the file plugin over an image the
// transcript made, or the nbd plugin in front of an earlier qemu-nbd / qemu-storage-daemon
// socket, behind nbdkit's blocksize or blocksize-policy filter. Anything else is refused
// with the line named: chaincheck only models these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chaincheck::impl {

struct TranscriptCommand;

struct NbdkitRun {
  enum class Plugin { File, Nbd };
  Plugin plugin = Plugin::File;
  std::optional<std::string> socket;  // -U as written (rewritten into the workspace)
  bool read_only = false;             // -r
  std::vector<std::string> filters;   // --filter=F each, nearest the client first
  std::string file;                   // file plugin: file=FILE (or the bare FILE)
  std::string nbd_socket;             // nbd plugin: socket=PATH as written
  std::string nbd_export;             // nbd plugin: export=NAME
  // Every other key=value, in order (filter parameters: minblock, maxdata, maxlen,
  // blocksize-minimum, ...), passed on as written.
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<std::uint64_t> minblock;        // blocksize: minblock=N (default 1)
  std::optional<std::uint64_t> policy_minimum;  // blocksize-policy: blocksize-minimum=N
  bool background = false;

  bool has_filter(const std::string& f) const;
  // "nbdkit --filter=blocksize(minblock=4096) nbd": what a finding's graph names.
  std::string describe() const;
};

// argv starts with "nbdkit". Throws TranscriptError naming the line for a plugin, filter or
// option chaincheck does not run.
NbdkitRun parse_nbdkit(const std::vector<std::string>& argv, bool background, int line);

// The nbd plugin's socket= must name the socket of a qemu-nbd (-k) or qemu-storage-daemon
// (addr.path) line before it; throws TranscriptError naming the nbdkit line otherwise.
void check_nbdkit_sockets(const std::vector<TranscriptCommand>& commands);

// Whether two sockets as written are the same one (the same path, or the same file name:
// the runner puts every socket into one workspace).
bool same_socket(const std::string& a, const std::string& b);

}  // namespace chaincheck::impl
