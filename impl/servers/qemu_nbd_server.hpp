// qemu-nbd as a persistent (-t) export of any block graph, on a unix socket in a private
// workspace. Stays up across many client connections until stop() or destruction.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "impl/process/process.hpp"

namespace chaincheck::impl {

// How qemu-nbd is told what to open: `-f FMT file`, `--image-opts STRING`, or a
// `json:{...}` filename.
struct QemuNbdImage {
  enum class Kind { File, ImageOpts, Json };
  Kind kind = Kind::File;
  std::string text;                   // filename, --image-opts string, or json: filename
  std::optional<std::string> format;  // -f, for Kind::File only (none: qemu probes)

  static QemuNbdImage file(const std::string& filename, const std::string& format);
  static QemuNbdImage image_opts(const std::string& options);
  static QemuNbdImage json(const nlohmann::json& options);  // "json:" + dump()
};

struct QemuNbdOptions {
  bool read_only = false;                    // -r
  bool allocation_depth = false;             // -A: qemu:allocation-depth
  std::vector<std::string> bitmaps;          // -B NAME each: qemu:dirty-bitmap:NAME
  std::optional<std::string> discard;        // --discard=ignore|unmap
  std::optional<std::string> detect_zeroes;  // --detect-zeroes=off|on|unmap
  bool snapshot = false;                     // -s
  std::optional<std::string> cache;          // --cache=none|writeback|...
  std::optional<std::string> aio;            // --aio=threads|native|io_uring
  std::string export_name;                   // -x (empty: the default export "")
  std::vector<std::string> objects;          // --object each, e.g. "throttle-group,id=tg0,..."
  unsigned shared_clients = 16;              // -e: qemu-nbd's default 1 would refuse a 2nd client
  std::filesystem::path working_dir;         // relative image names resolve here
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(10)};
};

class QemuNbdServer {
 public:
  QemuNbdServer(const QemuNbdImage& image, const QemuNbdOptions& options = {});
  ~QemuNbdServer() = default;
  QemuNbdServer(QemuNbdServer&&) noexcept = default;
  QemuNbdServer& operator=(QemuNbdServer&&) noexcept = default;

  const std::filesystem::path& socket() const { return socket_; }
  const std::string& export_name() const { return export_name_; }
  const std::vector<std::string>& argv() const { return process_.argv(); }
  int pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  std::string log_tail() const { return process_.log_tail(); }
  std::string last_words_if_dead() { return process_.last_words_if_dead(); }  // see BackgroundProcess
  void stop() { process_.kill(); }

  // The qemu-nbd command line these options produce (socket given).
  static std::vector<std::string> command_line(const QemuNbdImage& image, const QemuNbdOptions& options,
                                               const std::filesystem::path& socket);

 private:
  Workspace workspace_;  // declared first: destroyed after the process is reaped
  std::filesystem::path socket_;
  std::string export_name_;
  BackgroundProcess process_;
};

}  // namespace chaincheck::impl
