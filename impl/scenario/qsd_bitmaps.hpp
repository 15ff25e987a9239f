// Runtime dirty bitmaps on qemu-storage-daemon: one qcow2 node, bitmaps managed over QMP
// (block-dirty-bitmap-add/remove/clear/enable/disable/merge), guest writes through a
// writable NBD export of the same node, and several bitmaps read back at once through a
// second export (block-export-add "bitmaps": [...]).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "impl/nbd/nbd_client.hpp"
#include "impl/process/process.hpp"
#include "impl/servers/storage_daemon.hpp"
#include "model/scenario/observation.hpp"

namespace chaincheck::impl {

class QsdBitmapSession {
 public:
  // Creates a qcow2 image of `size` (cluster `cluster_size`) in a private workspace and
  // opens it as node "img" with discard=unmap (so NBD trims reach qcow2 and mark bitmaps:
  // without BDRV_O_UNMAP bdrv_co_pdiscard returns before its tracked request).
  QsdBitmapSession(std::uint64_t size, std::uint64_t cluster_size);

  // --- QMP ---------------------------------------------------------------------------
  void add(const std::string& name, std::optional<std::uint32_t> granularity = std::nullopt, bool disabled = false);
  void remove(const std::string& name);
  void clear(const std::string& name);
  void enable(const std::string& name);
  void disable(const std::string& name);
  void merge(const std::string& target, const std::vector<std::string>& sources);

  // --- Guest writes through the writable export "rw" ----------------------------------
  void write(std::uint64_t offset, std::uint64_t length, std::uint8_t pattern);
  void zero(std::uint64_t offset, std::uint64_t length, bool may_unmap);
  void trim(std::uint64_t offset, std::uint64_t length);

  // Exports the node again with `bitmaps` (writable: QEMU refuses an enabled bitmap on a
  // read-only export of a writable node), reads every qemu:dirty-bitmap:NAME context over
  // the whole export, and removes that export.
  model::NbdObservation read_bitmaps(const std::vector<std::string>& bitmaps);

  StorageDaemon& daemon() { return *qsd_; }

 private:
  Workspace ws_;
  std::unique_ptr<StorageDaemon> qsd_;
  std::unique_ptr<NbdClient> writer_;
  int exports_ = 0;
};

}  // namespace chaincheck::impl
