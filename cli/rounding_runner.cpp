#include "cli/rounding_runner.hpp"

#include "impl/servers/nbdkit_server.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "cli/nbd_uri_target.hpp"

namespace chaincheck::cli {

namespace conf = oracle::conformance;

namespace {

std::string uri_of(const std::filesystem::path& socket) { return "nbd+unix:///?socket=" + socket.string(); }

// base:allocation over the whole export: requests continue where the last reply ended.
std::vector<model::NbdExtent> whole_base_allocation(const std::string& uri, std::uint64_t* size) {
  NbdUriTarget target(uri);
  conf::SessionRequest req;
  req.contexts = {"base:allocation"};
  auto s = target.open(req).session;
  *size = s->size();
  std::vector<model::NbdExtent> out;
  std::uint64_t pos = 0;
  for (int guard = 0; pos < *size && guard < 100000; ++guard) {
    conf::StatusReply r = s->block_status(pos, std::min<std::uint64_t>(*size - pos, 1u << 30), false);
    if (!r.ok() || r.chunks.empty() || r.chunks[0].extents.empty())
      throw impl::ToolError(uri + ": block status at " + std::to_string(pos) + " failed: " + r.error);
    for (const auto& e : r.chunks[0].extents) {
      std::uint64_t len = std::min(e.length, *size - pos);
      if (len == 0) break;
      out.push_back({pos, len, e.value});
      pos += len;
    }
  }
  return model::merge_equal(std::move(out));
}

}  // namespace

conf::RoundingComparison compare_rounding_live(const std::filesystem::path& image, const std::string& format,
                                               std::uint64_t align) {
  std::filesystem::path abs = std::filesystem::absolute(image);
  if (!std::filesystem::is_regular_file(abs)) throw impl::ToolError("'" + image.string() + "' is not a file");
  impl::QemuNbdOptions o;
  o.read_only = true;
  o.working_dir = abs.parent_path();  // relative backing file names resolve beside the image
  impl::QemuNbdServer plain(impl::QemuNbdImage::file(abs.string(), format), o);
  nlohmann::json graph = {{"driver", "blkdebug"},
                          {"align", align},
                          {"image", {{"driver", format}, {"file", {{"driver", "file"}, {"filename", abs.string()}}}}}};
  impl::QemuNbdServer aligned(impl::QemuNbdImage::json(graph), o);
  impl::NbdkitServer nbdkit(
      impl::NbdkitOptions::nbd(plain.socket()).filter("blocksize").param("minblock", std::to_string(align)));

  std::uint64_t size = 0, qsize = 0, ksize = 0;
  auto precise = whole_base_allocation(uri_of(plain.socket()), &size);
  std::vector<conf::RoundingSide> sides = {
      {"qemu blkdebug align", whole_base_allocation(uri_of(aligned.socket()), &qsize), {}},
      {"nbdkit blocksize", whole_base_allocation(uri_of(nbdkit.socket()), &ksize), {}},
  };
  return conf::compare_rounding(size, align, precise, std::move(sides));
}

}  // namespace chaincheck::cli
