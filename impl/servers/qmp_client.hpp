// A QMP client (QEMU Machine Protocol: JSON messages over a unix socket), for
// qemu-storage-daemon. Commands are synchronous; asynchronous events that arrive meanwhile
// are queued for wait_event().
#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "impl/process/process.hpp"

namespace chaincheck::impl {

// QEMU answered a command with {"error": {"class": ..., "desc": ...}}.
class QmpError : public ToolError {
 public:
  QmpError(std::string command, std::string error_class, std::string desc);
  const std::string& command() const { return command_; }
  const std::string& error_class() const { return class_; }
  const std::string& desc() const { return desc_; }

 private:
  std::string command_, class_, desc_;
};

// Nothing listens on the QMP socket (yet): connect() found no socket or was refused.
class QmpNotListening : public ToolError {
 public:
  using ToolError::ToolError;
};

class QmpClient {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kDefaultTimeout{std::chrono::seconds(10)};

  // Connects, reads the greeting and leaves capabilities-negotiation mode (qmp_capabilities).
  // Throws QmpNotListening when the connection itself is refused.
  explicit QmpClient(const std::filesystem::path& socket,
                     std::chrono::milliseconds timeout = kDefaultTimeout);
  ~QmpClient();
  QmpClient(QmpClient&&) noexcept;
  QmpClient& operator=(QmpClient&&) noexcept;
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;

  const nlohmann::json& greeting() const { return greeting_; }
  // Greetings received on this connection. More than one means QEMU opened the session
  // twice (seen with qemu-storage-daemon 7.2 when a client connects during start-up); later
  // greetings are skipped by execute() and wait_event() but counted here.
  int greetings_seen() const { return greetings_; }

  // Runs `command` and returns its "return" value. Throws QmpError on an error reply,
  // ToolError when the connection closes or no reply comes within `timeout`.
  nlohmann::json execute(const std::string& command,
                         const nlohmann::json& arguments = nlohmann::json::object(),
                         std::chrono::milliseconds timeout = kDefaultTimeout);

  // The first queued or arriving event called `name` (removed from the queue); nullopt if
  // none arrives within `timeout`.
  std::optional<nlohmann::json> wait_event(const std::string& name,
                                           std::chrono::milliseconds timeout = kDefaultTimeout);
  // Every event received so far and not yet taken.
  std::deque<nlohmann::json> take_events();

  void close();

 private:
  // The next complete message, or nullopt at the deadline.
  std::optional<nlohmann::json> read_message(Clock::time_point deadline);
  void send_line(const std::string& line);

  int fd_ = -1;
  std::string inbox_;  // bytes received but not yet parsed (partial lines)
  std::deque<nlohmann::json> events_;
  nlohmann::json greeting_;
  uint64_t next_id_ = 1;
  int greetings_ = 0;
};

}  // namespace chaincheck::impl
