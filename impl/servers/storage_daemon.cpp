#include "impl/servers/storage_daemon.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

namespace chaincheck::impl {

namespace {

using nlohmann::json;

// What one start of the daemon came to.
struct StartOutcome {
  std::optional<QmpClient> qmp;  // a clean session: the daemon is ready
  std::string problem;           // otherwise why not
};

// Waits for the QMP socket by connecting to it. The first session must be clean: exactly
// one greeting, capabilities accepted and a query answered. No bare connect() probe: a
// client that hangs up during start-up is what triggers the daemon's race.
StartOutcome first_session(BackgroundProcess& proc, const std::filesystem::path& qmp_socket,
                           std::chrono::milliseconds timeout) {
  const auto attempt = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(1));
  StartOutcome out;
  auto session_settled = [&] {
    try {
      QmpClient qmp(qmp_socket, attempt);
      qmp.execute("query-version", json::object(), attempt);
      if (qmp.greetings_seen() != 1)
        out.problem = "QMP session opened " + std::to_string(qmp.greetings_seen()) + " times";
      else
        out.qmp.emplace(std::move(qmp));
    } catch (const QmpNotListening&) {
      return false;  // not listening yet: keep waiting
    } catch (const ToolError& e) {
      out.problem = e.what();  // connected, but the session broke
    }
    return true;
  };
  try {
    wait_until_ready(proc, "qemu-storage-daemon", session_settled, timeout);
  } catch (const ToolError& e) {
    out.problem = e.what();  // exited (crashed) before, or never listened
  }
  return out;
}

}  // namespace

StorageDaemon::Running StorageDaemon::launch(const Workspace& ws, const std::filesystem::path& qmp_socket,
                                             const StorageDaemonOptions& options) {
  std::vector<std::string> discarded;
  for (int start = 1; start <= std::max(1, options.max_starts); ++start) {
    std::filesystem::remove(qmp_socket);  // a crashed daemon's socket file
    // 7.2 syntax: a socket chardev in server mode that does not wait for a client, and a
    // QMP monitor on it.
    BackgroundProcess proc = BackgroundProcess::start(
        {"qemu-storage-daemon", "--chardev",
         "socket,path=" + qmp_socket.string() + ",server=on,wait=off,id=qmp0", "--monitor", "chardev=qmp0"},
        ws.file("qsd-" + std::to_string(start) + ".log"), options.working_dir);
    StartOutcome outcome = first_session(proc, qmp_socket, options.ready_timeout);
    if (outcome.qmp) return Running{std::move(proc), std::move(*outcome.qmp), std::move(discarded)};
    const bool never_listened = proc.running() && !std::filesystem::exists(qmp_socket);
    proc.kill();  // SIGKILL after the grace period if it hangs in accept()
    discarded.push_back("start " + std::to_string(start) + ": " + outcome.problem +
                        "; log: " + proc.log_tail());
    if (never_listened) break;  // not the race: retrying will not help
  }
  std::string why;
  for (const auto& d : discarded) why += (why.empty() ? "" : " | ") + d;
  throw ToolError("qemu-storage-daemon: no working QMP session: " + why);
}

StorageDaemon::StorageDaemon(const StorageDaemonOptions& options)
    : qmp_socket_(workspace_.file("qmp.sock")),
      nbd_socket_(workspace_.file("nbd.sock")),
      daemon_(launch(workspace_, qmp_socket_, options)) {}

StorageDaemon::~StorageDaemon() { stop(); }

void StorageDaemon::stop() {
  daemon_.qmp.close();
  if (daemon_.process.pid() > 0)
    daemon_.process.kill();  // SIGTERM: the daemon shuts its exports down and exits
}

void StorageDaemon::quit() {
  try {
    execute("quit");
  } catch (const ToolError&) {
    // The connection may close before the reply.
  }
  for (int i = 0; i < 100 && running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop();  // SIGTERM to a daemon that is already gone changes nothing
}

json StorageDaemon::execute(const std::string& command, const json& arguments) {
  return daemon_.qmp.execute(command, arguments);
}

void StorageDaemon::blockdev_add(const json& options) { execute("blockdev-add", options); }

void StorageDaemon::blockdev_del(const std::string& node) { execute("blockdev-del", {{"node-name", node}}); }

void StorageDaemon::object_add(const json& options) { execute("object-add", options); }

void StorageDaemon::object_del(const std::string& id) { execute("object-del", {{"id", id}}); }

void StorageDaemon::throttle_group_add(const std::string& id, const json& limits) {
  json args = {{"qom-type", "throttle-group"}, {"id", id}};
  if (!limits.empty()) args["limits"] = limits;
  object_add(args);
}

json StorageDaemon::query_named_block_nodes(bool flat) {
  return execute("query-named-block-nodes", {{"flat", flat}});
}

const std::filesystem::path& StorageDaemon::nbd_socket() {
  if (!nbd_server_started_) {
    // Legacy SocketAddress form ("data" wrapper), which nbd-server-start takes in 7.2.
    execute("nbd-server-start", {{"addr", {{"type", "unix"}, {"data", {{"path", nbd_socket_.string()}}}}}});
    nbd_server_started_ = true;
  }
  return nbd_socket_;
}

std::string StorageDaemon::block_export_add_nbd(const NbdExportOptions& o) {
  nbd_socket();
  const std::string name = o.name.empty() ? o.node : o.name;
  json args = {{"type", "nbd"},          {"id", name},
               {"node-name", o.node},    {"name", name},
               {"writable", o.writable}, {"allocation-depth", o.allocation_depth}};
  if (!o.bitmaps.empty()) args["bitmaps"] = o.bitmaps;
  execute("block-export-add", args);
  return name;
}

std::string StorageDaemon::block_export_add_nbd(const std::string& node, const std::string& name,
                                                bool writable, bool allocation_depth,
                                                const std::vector<std::string>& bitmaps) {
  return block_export_add_nbd(NbdExportOptions{node, name, writable, allocation_depth, bitmaps});
}

void StorageDaemon::block_export_del(const std::string& name, std::chrono::milliseconds timeout) {
  execute("block-export-del", {{"id", name}});
  // Deletion completes asynchronously, once the export's clients are gone.
  auto deadline = QmpClient::Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - QmpClient::Clock::now());
    auto ev = daemon_.qmp.wait_event("BLOCK_EXPORT_DELETED", std::max(left, std::chrono::milliseconds(0)));
    if (!ev)
      throw ToolError("block-export-del " + name + ": export still present after " +
                      std::to_string(timeout.count()) + " ms (clients still connected?)");
    if ((*ev)["data"].value("id", "") == name) return;
  }
}

void StorageDaemon::block_dirty_bitmap_add(const std::string& node, const std::string& name,
                                           std::optional<uint32_t> granularity, bool disabled) {
  json args = {{"node", node}, {"name", name}};
  if (granularity) args["granularity"] = *granularity;
  if (disabled) args["disabled"] = true;
  execute("block-dirty-bitmap-add", args);
}

void StorageDaemon::block_dirty_bitmap_remove(const std::string& node, const std::string& name) {
  execute("block-dirty-bitmap-remove", {{"node", node}, {"name", name}});
}

void StorageDaemon::block_dirty_bitmap_clear(const std::string& node, const std::string& name) {
  execute("block-dirty-bitmap-clear", {{"node", node}, {"name", name}});
}

void StorageDaemon::block_dirty_bitmap_enable(const std::string& node, const std::string& name) {
  execute("block-dirty-bitmap-enable", {{"node", node}, {"name", name}});
}

void StorageDaemon::block_dirty_bitmap_disable(const std::string& node, const std::string& name) {
  execute("block-dirty-bitmap-disable", {{"node", node}, {"name", name}});
}

}  // namespace chaincheck::impl
