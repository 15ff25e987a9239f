#include "impl/servers/qmp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace chaincheck::impl {

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

QmpError::QmpError(std::string command, std::string error_class, std::string desc)
    : ToolError("QMP " + command + " failed: " + error_class + ": " + desc),
      command_(std::move(command)),
      class_(std::move(error_class)),
      desc_(std::move(desc)) {}

QmpClient::QmpClient(const std::filesystem::path& socket, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof(addr.sun_path)) throw ToolError("QMP socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw ToolError(errno_text("QMP socket"));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const bool not_listening = errno == ENOENT || errno == ECONNREFUSED;
    std::string msg = errno_text("QMP connect " + path);
    close();
    if (not_listening) throw QmpNotListening(msg);
    throw ToolError(msg);
  }
  try {
    auto greeting = read_message(Clock::now() + timeout);
    if (!greeting || !greeting->contains("QMP"))
      throw ToolError("QMP " + path + ": no greeting within " + std::to_string(timeout.count()) + " ms");
    greeting_ = std::move(*greeting);
    greetings_ = 1;
    execute("qmp_capabilities", nlohmann::json::object(), timeout);
  } catch (...) {
    close();
    throw;
  }
}

QmpClient::~QmpClient() { close(); }

QmpClient::QmpClient(QmpClient&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      inbox_(std::move(o.inbox_)),
      events_(std::move(o.events_)),
      greeting_(std::move(o.greeting_)),
      next_id_(o.next_id_),
      greetings_(o.greetings_) {}

QmpClient& QmpClient::operator=(QmpClient&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    inbox_ = std::move(o.inbox_);
    events_ = std::move(o.events_);
    greeting_ = std::move(o.greeting_);
    next_id_ = o.next_id_;
    greetings_ = o.greetings_;
  }
  return *this;
}

void QmpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void QmpClient::send_line(const std::string& line) {
  if (fd_ < 0) throw ToolError("QMP: connection is closed");
  size_t done = 0;
  while (done < line.size()) {
    // MSG_NOSIGNAL: a dead daemon is an error here, not a SIGPIPE for the whole process.
    ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ToolError(errno_text("QMP send"));
    done += static_cast<size_t>(n);
  }
}

std::optional<nlohmann::json> QmpClient::read_message(Clock::time_point deadline) {
  for (;;) {
    // QMP (without "pretty") sends one JSON document per line; a read may end mid-line or
    // carry several lines, so complete lines are taken from the inbox one at a time.
    for (size_t nl; (nl = inbox_.find('\n')) != std::string::npos;) {
      std::string line = inbox_.substr(0, nl);
      inbox_.erase(0, nl + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        return nlohmann::json::parse(line);
      } catch (const nlohmann::json::parse_error& e) {
        throw ToolError(std::string("QMP: unparsable message: ") + e.what() + ": " + line.substr(0, 200));
      }
    }
    if (fd_ < 0) throw ToolError("QMP: connection is closed");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw ToolError(errno_text("QMP poll"));
    if (r == 0) return std::nullopt;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ToolError(errno_text("QMP recv"));
    if (n == 0) throw ToolError("QMP: the daemon closed the connection");
    inbox_.append(buf, static_cast<size_t>(n));
  }
}

nlohmann::json QmpClient::execute(const std::string& command, const nlohmann::json& arguments,
                                  std::chrono::milliseconds timeout) {
  const uint64_t id = next_id_++;
  nlohmann::json request = {{"execute", command}, {"id", id}};
  if (!arguments.is_null() && !arguments.empty()) request["arguments"] = arguments;
  send_line(request.dump() + "\n");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto msg = read_message(deadline);
    if (!msg)
      throw ToolError("QMP " + command + ": no reply within " + std::to_string(timeout.count()) + " ms");
    if (msg->contains("QMP")) {  // a repeated greeting: not a reply
      ++greetings_;
      continue;
    }
    if (msg->contains("event")) {
      events_.push_back(std::move(*msg));
      continue;
    }
    // Replies echo our id; an error QEMU could not tie to a request (unparsable input) has
    // none, and with one request in flight it can only be ours.
    if (msg->contains("id") && (*msg)["id"] != id) continue;
    if (msg->contains("return")) return (*msg)["return"];
    if (msg->contains("error")) {
      const auto& err = (*msg)["error"];
      throw QmpError(command, err.value("class", "?"), err.value("desc", "?"));
    }
    throw ToolError("QMP " + command + ": unexpected message: " + msg->dump());
  }
}

std::optional<nlohmann::json> QmpClient::wait_event(const std::string& name,
                                                    std::chrono::milliseconds timeout) {
  auto take_queued = [&]() -> std::optional<nlohmann::json> {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      if (it->value("event", "") == name) {
        nlohmann::json ev = std::move(*it);
        events_.erase(it);
        return ev;
      }
    }
    return std::nullopt;
  };
  if (auto ev = take_queued()) return ev;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto msg = read_message(deadline);
    if (!msg) return std::nullopt;
    if (msg->contains("QMP")) ++greetings_;
    if (!msg->contains("event")) continue;  // a greeting or a stray late reply
    if (msg->value("event", "") == name) return msg;
    events_.push_back(std::move(*msg));
  }
}

std::deque<nlohmann::json> QmpClient::take_events() { return std::exchange(events_, {}); }

}  // namespace chaincheck::impl
