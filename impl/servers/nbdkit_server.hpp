// nbdkit on a unix socket only (-U: never TCP), in the foreground, exiting with its parent:
// a plugin (file, memory, nbd, ...) behind filters (blocksize, offset, truncate, cow, ...).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "impl/process/process.hpp"

namespace chaincheck::impl {

struct NbdkitOptions {
  std::string plugin;                // "memory", "file", "nbd", ...
  std::vector<std::string> filters;  // --filter=F each; the first is nearest the client
  // key=value parameters for the plugin and the filters (nbdkit shares one namespace).
  std::vector<std::pair<std::string, std::string>> params;
  bool read_only = false;   // -r
  std::string export_name;  // -e (the name nbdkit reports; it serves any name)
  std::filesystem::path working_dir;
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(10)};

  NbdkitOptions& filter(const std::string& name);
  NbdkitOptions& param(const std::string& key, const std::string& value);

  static NbdkitOptions memory(uint64_t size);                    // memory size=N
  static NbdkitOptions file(const std::filesystem::path& path);  // file file=PATH
  // nbd socket=PATH [export=NAME]: nbdkit's filters in front of another NBD server.
  static NbdkitOptions nbd(const std::filesystem::path& socket, const std::string& export_name = "");
};

class NbdkitServer {
 public:
  explicit NbdkitServer(const NbdkitOptions& options);
  NbdkitServer(NbdkitServer&&) noexcept = default;
  NbdkitServer& operator=(NbdkitServer&&) noexcept = default;

  const std::filesystem::path& socket() const { return socket_; }
  const std::vector<std::string>& argv() const { return process_.argv(); }
  int pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  std::string log_tail() const { return process_.log_tail(); }
  std::string last_words_if_dead() { return process_.last_words_if_dead(); }  // see BackgroundProcess
  void stop() { process_.kill(); }

  static std::vector<std::string> command_line(const NbdkitOptions& options,
                                               const std::filesystem::path& socket);

 private:
  Workspace workspace_;  // first: removed only after the process is reaped
  std::filesystem::path socket_;
  BackgroundProcess process_;
};

}  // namespace chaincheck::impl
