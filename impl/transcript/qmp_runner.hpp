// QMP lines of a transcript, sent to the qemu-storage-daemon started before them (through
// impl/servers/qmp_client): block jobs are driven to their end before the next line, quit
// waits for the daemon to exit, QEMU's errors are the command's output.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/servers/qmp_client.hpp"
#include "impl/transcript/qmp_commands.hpp"

namespace chaincheck::impl {

// One daemon's monitor: connected once the daemon completed its NBD greeting (after its
// start-up, so outside qemu-storage-daemon 7.2's connect-during-start-up race).
struct QmpSession {
  std::shared_ptr<BackgroundProcess> daemon;
  std::unique_ptr<QmpClient> client;  // null when the connection failed or after quit
  std::string unavailable;            // why there is no client
  bool quit = false;
};
std::shared_ptr<QmpSession> open_qmp_session(std::shared_ptr<BackgroundProcess> daemon,
                                             const std::filesystem::path& socket);

struct QmpOutcome {
  std::vector<std::string> output;  // QEMU's reply (and a job's completion event), as JSON lines
  std::string error;                // QEMU refused it, the job failed, or the daemon is gone
  std::string server_crash;         // the daemon died during this command: its log's last line
};

constexpr std::chrono::seconds kQmpJobTimeout{120};

QmpOutcome run_qmp_command(QmpSession& session, const QmpCommand& command,
                           std::chrono::milliseconds job_timeout = kQmpJobTimeout);

}  // namespace chaincheck::impl
