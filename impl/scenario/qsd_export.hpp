// A scenario graph built in qemu-storage-daemon (blockdev-add with node names, see
// qsd_graph.hpp) and exported with block-export-add over NBD on a unix socket inside the
// daemon's workspace. The daemon is stopped and reaped by stop() or the destructor.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "impl/scenario/qsd_graph.hpp"
#include "impl/servers/storage_daemon.hpp"
#include "model/semantics/operations.hpp"

namespace chaincheck::impl {

class QsdExport {
 public:
  // `working_dir`: where the graph's relative filenames live. `bitmaps`: exported as
  // qemu:dirty-bitmap:NAME (block-export-add "bitmaps"; nbd_export_create looks for each on
  // the root, then down filters and backing files).
  QsdExport(const model::GraphSpec& g, const ImageFormats& formats, const std::filesystem::path& working_dir,
            const BlockdevOptions& options = {}, const std::vector<std::string>& bitmaps = {});
  const std::filesystem::path& socket() const { return socket_; }
  const std::string& export_name() const { return name_; }
  const BlockdevPlan& plan() const { return plan_; }
  StorageDaemon& daemon() { return daemon_; }
  void stop() { daemon_.stop(); }

 private:
  StorageDaemon daemon_;
  BlockdevPlan plan_;
  std::string name_ = "export";
  std::filesystem::path socket_;
};

// A guest operation through a writable QSD export of `g`, over NBD (libnbd): write,
// write-zeroes (NO_HOLE unless unmap; nodes opened with discard=unmap as qemu-io does),
// discard (trim). Empty when it succeeded, else the error. write-compressed has no NBD
// command: refused with an error.
std::string run_io_over_nbd(const model::GraphSpec& g, const model::GuestOp& op, const ImageFormats& formats,
                            const std::filesystem::path& working_dir);

}  // namespace chaincheck::impl
