#include "impl/servers/nbd_server.hpp"

#include <fstream>

namespace chaincheck::impl {

std::string NbdServer::config_text(const NbdServerOptions& o, const std::filesystem::path& socket) {
  if (o.file.empty()) throw ToolError("nbd-server: no file to export");
  if (o.export_name.empty() || o.export_name.find_first_of("[]\n") != std::string::npos)
    throw ToolError("nbd-server: export name '" + o.export_name + "' cannot be a config section name");
  std::filesystem::path file = o.file.is_absolute() || o.working_dir.empty() ? o.file : o.working_dir / o.file;
  // unixsock: a unix socket and no TCP listener (nbd-server(5): "the server will not listen
  // for TCP connections" unless duallisten). allowlist: NBD_OPT_LIST is answered.
  return "[generic]\nunixsock = " + socket.string() + "\nallowlist = true\n\n[" + o.export_name +
         "]\nexportname = " + std::filesystem::absolute(file).string() + "\nreadonly = " +
         (o.read_only ? "true" : "false") + "\n";
}

NbdServer::NbdServer(const NbdServerOptions& options)
    : options_(options), socket_(workspace_.file("nbd.sock")), config_(workspace_.file("nbd-server.conf")) {
  std::ofstream(config_) << config_text(options_, socket_);
  start();
}

std::string NbdServer::uri() const { return "nbd+unix:///" + options_.export_name + "?socket=" + socket_.string(); }

void NbdServer::start() {
  std::filesystem::remove(socket_);  // nbd-server exits 1 (silently) when the path exists
  process_ = BackgroundProcess::start({"nbd-server", "-C", config_.string(), "-d"}, workspace_.file("nbd-server.log"),
                                      options_.working_dir);
  // Listening is read from /proc/net/unix: a connecting probe would use up the one session.
  wait_until_ready(process_, "nbd-server " + options_.file.string(), [&] { return unix_socket_listening(socket_); },
                   options_.ready_timeout);
}

void NbdServer::restart() {
  process_.kill();
  start();
}

}  // namespace chaincheck::impl
