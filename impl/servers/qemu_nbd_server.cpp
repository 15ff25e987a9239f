#include "impl/servers/qemu_nbd_server.hpp"

#include "impl/servers/socket_server.hpp"

namespace chaincheck::impl {

QemuNbdImage QemuNbdImage::file(const std::string& filename, const std::string& format) {
  return {Kind::File, filename, format};
}

QemuNbdImage QemuNbdImage::image_opts(const std::string& options) {
  return {Kind::ImageOpts, options, std::nullopt};
}

QemuNbdImage QemuNbdImage::json(const nlohmann::json& options) {
  return {Kind::Json, "json:" + options.dump(), std::nullopt};
}

std::vector<std::string> QemuNbdServer::command_line(const QemuNbdImage& image, const QemuNbdOptions& o,
                                                     const std::filesystem::path& socket) {
  std::vector<std::string> argv = {"qemu-nbd",      "-t", "-k",
                                   socket.string(), "-e", std::to_string(o.shared_clients)};
  for (const auto& obj : o.objects) argv.insert(argv.end(), {"--object", obj});
  if (o.read_only) argv.push_back("-r");
  if (o.allocation_depth) argv.push_back("-A");
  for (const auto& b : o.bitmaps) argv.insert(argv.end(), {"-B", b});
  if (o.discard) argv.push_back("--discard=" + *o.discard);
  if (o.detect_zeroes) argv.push_back("--detect-zeroes=" + *o.detect_zeroes);
  if (o.snapshot) argv.push_back("-s");
  if (o.cache) argv.push_back("--cache=" + *o.cache);
  if (o.aio) argv.push_back("--aio=" + *o.aio);
  if (!o.export_name.empty()) argv.insert(argv.end(), {"-x", o.export_name});
  switch (image.kind) {
    case QemuNbdImage::Kind::File:
      if (image.format) argv.insert(argv.end(), {"-f", *image.format});
      break;
    case QemuNbdImage::Kind::ImageOpts:
      argv.push_back("--image-opts");
      break;
    case QemuNbdImage::Kind::Json:
      break;
  }
  // "--" so an image name starting with '-' is never taken for an option.
  argv.insert(argv.end(), {"--", image.text});
  return argv;
}

QemuNbdServer::QemuNbdServer(const QemuNbdImage& image, const QemuNbdOptions& options)
    : socket_(workspace_.file("nbd.sock")), export_name_(options.export_name) {
  process_ = start_nbd_server(command_line(image, options, socket_), "qemu-nbd " + image.text, socket_,
                              workspace_.file("qemu-nbd.log"), options.working_dir, options.ready_timeout);
}

}  // namespace chaincheck::impl
