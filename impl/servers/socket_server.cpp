#include "impl/servers/socket_server.hpp"

#include "impl/nbd/handshake_probe.hpp"

namespace chaincheck::impl {

BackgroundProcess start_nbd_server(const std::vector<std::string>& argv, const std::string& what,
                                   const std::filesystem::path& socket, const std::filesystem::path& log_file,
                                   const std::filesystem::path& cwd, std::chrono::milliseconds timeout) {
  BackgroundProcess proc = BackgroundProcess::start(argv, log_file, cwd);
  auto ready = [&] { return unix_socket_accepts(socket) && nbd_handshake_completes(socket); };
  // On failure the exception unwinds `proc`, which kills and reaps the child.
  wait_until_ready(proc, what, ready, timeout);
  return proc;
}

}  // namespace chaincheck::impl
