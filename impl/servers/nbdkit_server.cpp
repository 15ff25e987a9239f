#include "impl/servers/nbdkit_server.hpp"

#include "impl/servers/socket_server.hpp"

namespace chaincheck::impl {

NbdkitOptions& NbdkitOptions::filter(const std::string& name) {
  filters.push_back(name);
  return *this;
}

NbdkitOptions& NbdkitOptions::param(const std::string& key, const std::string& value) {
  params.emplace_back(key, value);
  return *this;
}

NbdkitOptions NbdkitOptions::memory(uint64_t size) {
  NbdkitOptions o;
  o.plugin = "memory";
  return o.param("size", std::to_string(size));
}

NbdkitOptions NbdkitOptions::file(const std::filesystem::path& path) {
  NbdkitOptions o;
  o.plugin = "file";
  return o.param("file", path.string());
}

NbdkitOptions NbdkitOptions::nbd(const std::filesystem::path& socket, const std::string& export_name) {
  NbdkitOptions o;
  o.plugin = "nbd";
  o.param("socket", socket.string());
  if (!export_name.empty()) o.param("export", export_name);
  return o;
}

std::vector<std::string> NbdkitServer::command_line(const NbdkitOptions& o,
                                                    const std::filesystem::path& socket) {
  if (o.plugin.empty()) throw ToolError("nbdkit: no plugin given");
  // --exit-with-parent: even if chaincheck dies without cleaning up, nbdkit goes too.
  std::vector<std::string> argv = {"nbdkit", "--foreground", "--exit-with-parent", "-U", socket.string()};
  if (o.read_only) argv.push_back("-r");
  if (!o.export_name.empty()) argv.insert(argv.end(), {"-e", o.export_name});
  for (const auto& f : o.filters) argv.push_back("--filter=" + f);
  argv.push_back(o.plugin);
  for (const auto& [key, value] : o.params) argv.push_back(key + "=" + value);
  return argv;
}

NbdkitServer::NbdkitServer(const NbdkitOptions& options) : socket_(workspace_.file("nbd.sock")) {
  process_ = start_nbd_server(command_line(options, socket_), "nbdkit " + options.plugin, socket_,
                              workspace_.file("nbdkit.log"), options.working_dir, options.ready_timeout);
}

}  // namespace chaincheck::impl
