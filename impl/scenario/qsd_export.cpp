#include "impl/scenario/qsd_export.hpp"

#include <libnbd.h>

#include "impl/nbd/nbd_client.hpp"

namespace chaincheck::impl {

namespace {
StorageDaemonOptions daemon_options(const std::filesystem::path& working_dir) {
  StorageDaemonOptions o;
  o.working_dir = working_dir;
  return o;
}
}  // namespace

QsdExport::QsdExport(const model::GraphSpec& g, const ImageFormats& formats,
                     const std::filesystem::path& working_dir, const BlockdevOptions& options,
                     const std::vector<std::string>& bitmaps)
    : daemon_(daemon_options(working_dir)), plan_(blockdev_plan(g, formats, options)) {
  for (const auto& o : plan_.objects) daemon_.object_add(o);
  for (const auto& b : plan_.blockdevs) daemon_.blockdev_add(b);
  NbdExportOptions e;
  e.node = plan_.root;
  e.name = name_;
  // nbd_export_create refuses an enabled bitmap on a writable node in a read-only export
  // ("Enabled bitmap '...' incompatible with readonly export"): a graph whose nodes are
  // opened read-write (copy-on-read) is exported writable when it exports bitmaps. Nothing
  // is written through it.
  e.writable = options.writable || (plan_.writable && !bitmaps.empty());
  e.allocation_depth = true;
  e.bitmaps = bitmaps;
  daemon_.block_export_add_nbd(e);
  socket_ = daemon_.nbd_socket();
}

std::string run_io_over_nbd(const model::GraphSpec& g, const model::GuestOp& op, const ImageFormats& formats,
                            const std::filesystem::path& working_dir) {
  using model::OpKind;
  if (op.kind == OpKind::WriteCompressed) return "write-compressed has no NBD command";
  BlockdevOptions options;
  options.writable = true;
  options.unmap = true;
  QsdExport ex(g, formats, working_dir, options);
  NbdClient client;
  client.set_export_name(ex.export_name());
  client.set_strict_mode(client.strict_mode() & ~static_cast<uint32_t>(LIBNBD_STRICT_ALIGN));
  client.connect_unix(ex.socket());
  try {
    switch (op.kind) {
      case OpKind::Write: client.pwrite(op.offset, std::vector<uint8_t>(op.length, op.pattern)); break;
      case OpKind::WriteZeroes: client.zero(op.offset, op.length, op.may_unmap ? 0 : LIBNBD_CMD_FLAG_NO_HOLE); break;
      case OpKind::Discard: client.trim(op.offset, op.length); break;
      case OpKind::WriteCompressed: break;
    }
    client.flush();
  } catch (const NbdError& e) {
    client.disconnect();
    return e.what();
  }
  client.disconnect();
  ex.stop();
  return {};
}

}  // namespace chaincheck::impl
