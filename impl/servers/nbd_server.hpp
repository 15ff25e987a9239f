// Debian's nbd-server (the reference NBD server) on a unix socket only, from a config file
// generated in a private workspace, in the foreground (-d) and reaped.
//
// nbd-server 3.24 in the foreground serves ONE client session and then exits
// (nbd-server.c: with dontfork, handle_modern_connection runs the session in the main
// process and exit()s after it; a dropped negotiation ends in err(), which exits too). So
// readiness is checked without connecting (a probe would use up the session), and a
// client gets exactly one connection; restart() starts a fresh server on the same socket.
// nbd-server 3.24 negotiates no structured replies: it has no block status at all.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "impl/process/process.hpp"

namespace chaincheck::impl {

struct NbdServerOptions {
  std::filesystem::path file;             // the exported file (absolute, or relative to working_dir)
  bool read_only = true;
  std::string export_name = "export";     // the config section name = the NBD export name
  std::filesystem::path working_dir;
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(10)};
};

class NbdServer {
 public:
  explicit NbdServer(const NbdServerOptions& options);
  NbdServer(NbdServer&&) noexcept = default;
  NbdServer& operator=(NbdServer&&) noexcept = default;

  const std::filesystem::path& socket() const { return socket_; }
  const std::string& export_name() const { return options_.export_name; }
  // nbd+unix:///EXPORT?socket=PATH
  std::string uri() const;
  const std::vector<std::string>& argv() const { return process_.argv(); }
  int pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  std::string log_tail() const { return process_.log_tail(); }
  void stop() { process_.kill(); }
  // A fresh server for the next session (the previous one is killed and reaped first).
  void restart();

  // The config file text these options produce (socket given).
  static std::string config_text(const NbdServerOptions& options, const std::filesystem::path& socket);

 private:
  void start();
  Workspace workspace_;  // first: removed only after the process is reaped
  NbdServerOptions options_;
  std::filesystem::path socket_;
  std::filesystem::path config_;
  BackgroundProcess process_;
};

}  // namespace chaincheck::impl
