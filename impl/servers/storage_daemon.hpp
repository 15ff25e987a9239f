// qemu-storage-daemon driven over QMP: build block graphs with blockdev-add (any filter
// nodes: blkdebug, raw offset/size, copy-on-read, throttle, preallocate, compress, ...),
// export nodes over NBD on a unix socket, manage dirty bitmaps.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/servers/qmp_client.hpp"

namespace chaincheck::impl {

struct StorageDaemonOptions {
  std::filesystem::path working_dir;  // relative filenames in blockdev-add resolve here
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(10)};
  // qemu-storage-daemon 7.2 can mishandle a QMP client that connects while it starts (the
  // session is opened twice: double greeting, lost replies, an assertion in
  // json-parser.c, SIGSEGV, or a blocking accept() that ignores SIGTERM). A daemon whose
  // first session is anything but clean is killed and started afresh, up to this often.
  int max_starts = 4;
};

struct NbdExportOptions {
  std::string node;  // node-name to export
  std::string name;  // NBD export name (empty: the node name)
  bool writable = false;
  bool allocation_depth = false;     // qemu:allocation-depth
  std::vector<std::string> bitmaps;  // qemu:dirty-bitmap:NAME each (bitmaps on `node`)
};

class StorageDaemon {
 public:
  explicit StorageDaemon(const StorageDaemonOptions& options = {});
  ~StorageDaemon();
  StorageDaemon(StorageDaemon&&) noexcept = default;
  StorageDaemon& operator=(StorageDaemon&&) noexcept = default;

  QmpClient& qmp() { return daemon_.qmp; }
  nlohmann::json execute(const std::string& command,
                         const nlohmann::json& arguments = nlohmann::json::object());

  // --- Graph ---------------------------------------------------------------------------
  void blockdev_add(const nlohmann::json& options);  // must carry "node-name"
  void blockdev_del(const std::string& node);
  // object-add, e.g. {"qom-type":"throttle-group","id":"tg0","limits":{...}}.
  void object_add(const nlohmann::json& options);
  void object_del(const std::string& id);
  // A throttle group a {"driver":"throttle","throttle-group":id} node can use.
  void throttle_group_add(const std::string& id, const nlohmann::json& limits = nlohmann::json::object());
  nlohmann::json query_named_block_nodes(bool flat = true);

  // --- NBD exports ---------------------------------------------------------------------
  // Starts the daemon's NBD server on a unix socket in the workspace (once) and exports
  // the node; returns the export name. Connect to nbd_socket() with that name.
  std::string block_export_add_nbd(const NbdExportOptions& options);
  std::string block_export_add_nbd(const std::string& node, const std::string& name, bool writable,
                                   bool allocation_depth, const std::vector<std::string>& bitmaps = {});
  // Removes the export and waits until QEMU reports it gone (clients must disconnect).
  void block_export_del(const std::string& name, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  const std::filesystem::path& nbd_socket();

  // --- Dirty bitmaps -------------------------------------------------------------------
  void block_dirty_bitmap_add(const std::string& node, const std::string& name,
                              std::optional<uint32_t> granularity = std::nullopt, bool disabled = false);
  void block_dirty_bitmap_remove(const std::string& node, const std::string& name);
  void block_dirty_bitmap_clear(const std::string& node, const std::string& name);
  void block_dirty_bitmap_enable(const std::string& node, const std::string& name);
  void block_dirty_bitmap_disable(const std::string& node, const std::string& name);

  // --- Process -------------------------------------------------------------------------
  int pid() const { return daemon_.process.pid(); }
  bool running() { return daemon_.process.running(); }
  std::string log_tail() const { return daemon_.process.log_tail(); }
  std::string last_words_if_dead() { return daemon_.process.last_words_if_dead(); }  // see BackgroundProcess
  // Start-ups that were thrown away because QMP misbehaved (empty when the first worked);
  // each says what went wrong, with that daemon's log tail. Evidence of the QEMU race, not
  // something to hide.
  const std::vector<std::string>& discarded_starts() const { return daemon_.discarded; }
  const std::filesystem::path& qmp_socket() const { return qmp_socket_; }
  void stop();
  // QMP quit: the daemon closes every node (headers, refcounts and persistent bitmaps
  // flushed by bdrv_close) and exits; then it is reaped.
  void quit();

 private:
  Workspace workspace_;  // first: outlives the process and the connection
  std::filesystem::path qmp_socket_;
  std::filesystem::path nbd_socket_;
  bool nbd_server_started_ = false;
  struct Running {
    BackgroundProcess process;
    QmpClient qmp;
    std::vector<std::string> discarded;
  };
  static Running launch(const Workspace& ws, const std::filesystem::path& qmp_socket,
                        const StorageDaemonOptions& options);
  Running daemon_;
};

}  // namespace chaincheck::impl
