// An NBD client over libnbd (the only way chaincheck speaks NBD). RAII over nbd_handle;
// failures become ToolError carrying libnbd's message and errno.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "impl/nbd/block_status.hpp"
#include "impl/process/process.hpp"

struct nbd_handle;

namespace chaincheck::impl {

// A libnbd call failed. errno_value is nbd_get_errno() (0 when libnbd gave none).
class NbdError : public ToolError {
 public:
  NbdError(const std::string& what, int errno_value) : ToolError(what), errno_value_(errno_value) {}
  int errno_value() const { return errno_value_; }

 private:
  int errno_value_;
};

// The connection died (server killed, socket closed) during a command. Carries what was
// observed before the connection went away.
class NbdConnectionLost : public NbdError {
 public:
  NbdConnectionLost(const std::string& what, int errno_value, BlockStatusObservation partial)
      : NbdError(what, errno_value), partial_(std::move(partial)) {}
  const BlockStatusObservation& partial() const { return partial_; }

 private:
  BlockStatusObservation partial_;
};

struct BlockSizes {
  uint64_t minimum = 0;
  uint64_t preferred = 0;
  uint64_t maximum = 0;
  bool operator==(const BlockSizes&) const = default;
};

// Transmission flags of the export as negotiated.
struct ExportFlags {
  bool read_only = false;
  bool can_flush = false;
  bool can_fua = false;
  bool can_trim = false;
  bool can_zero = false;
  bool can_fast_zero = false;
  bool can_df = false;
  bool can_multi_conn = false;
  bool can_cache = false;
};

class NbdClient {
 public:
  NbdClient();
  ~NbdClient();
  NbdClient(NbdClient&&) noexcept;
  NbdClient& operator=(NbdClient&&) noexcept;
  NbdClient(const NbdClient&) = delete;
  NbdClient& operator=(const NbdClient&) = delete;

  // --- Before connect_unix -------------------------------------------------------------
  void set_export_name(const std::string& name);
  // Ask for a metadata context (base:allocation, qemu:allocation-depth,
  // qemu:dirty-bitmap:NAME). Whether the server agreed: can_meta_context().
  void request_meta_context(const std::string& name);
  // libnbd asks the server for block size constraints by default; false turns that off
  // (then servers may skip advertising them).
  void set_request_block_size(bool request);
  // libnbd's client-side request checks (LIBNBD_STRICT_*). The default is kept; lower it
  // to send requests a strict client would refuse (e.g. unaligned ones) to the server.
  void set_strict_mode(uint32_t flags);
  uint32_t strict_mode() const;

  void connect_unix(const std::filesystem::path& socket);
  // Any NBD URI libnbd accepts (nbd://host[:port]/export, nbd+unix:///export?socket=...);
  // the export name and socket come from the URI. A bad URI or an unreachable server throws.
  // timeout > 0: give up (NbdError) when the handshake has not completed by then, e.g. a
  // server that serves one client at a time (qemu-nbd without -e) leaves it queued.
  void connect_uri(const std::string& uri, std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // Option-negotiation mode (set before connect_*): connect stops before choosing an
  // export, so opt_list_meta_contexts can run on this same connection before opt_go.
  // Servers that serve one session only (nbd-server -d) need this single-connection path.
  void set_opt_mode(bool enable);
  // NBD_OPT_LIST_META_CONTEXT on this connection (opt mode); throws NbdError when the
  // server refuses (e.g. no structured replies).
  std::vector<std::string> opt_list_meta_contexts(const std::vector<std::string>& queries = {});
  // Leave opt mode: NBD_OPT_GO with the requested contexts.
  void opt_go();

  // The contexts the server offers for this export (NBD_OPT_LIST_META_CONTEXT), asked on a
  // separate short connection so this client's own negotiation is not disturbed. `queries`
  // empty: every context; otherwise e.g. {"qemu:"}. Usable before or after connect_unix
  // (before: pass the socket).
  std::vector<std::string> list_meta_contexts(const std::vector<std::string>& queries = {}) const;
  static std::vector<std::string> list_meta_contexts(const std::filesystem::path& socket,
                                                     const std::string& export_name,
                                                     const std::vector<std::string>& queries = {});

  // --- After connect_unix --------------------------------------------------------------
  bool connected() const;
  const std::vector<std::string>& requested_contexts() const { return requested_; }
  bool can_meta_context(const std::string& name) const;
  // The requested contexts the server agreed to, in request order.
  std::vector<std::string> negotiated_contexts() const;
  uint64_t size() const;
  ExportFlags flags() const;
  BlockSizes block_sizes() const;
  bool structured_replies() const;

  // One NBD_CMD_BLOCK_STATUS. A failed command (server error, reply libnbd rejected) is an
  // observation: its text goes to `error`. Throws NbdConnectionLost if the connection died.
  BlockStatusObservation block_status(uint64_t offset, uint64_t count, uint32_t flags = 0);
  // Requests until every negotiated context covers [offset, offset+count): each next
  // request starts at the smallest end reached over all contexts. All replies kept raw.
  BlockStatusObservation block_status_full(uint64_t offset, uint64_t count,
                                           const BlockStatusLoopOptions& options = {});

  // Data commands; failures throw NbdError (NbdConnectionLost if the connection died).
  std::vector<uint8_t> pread(uint64_t offset, uint64_t count, uint32_t flags = 0);
  void pwrite(uint64_t offset, const std::vector<uint8_t>& data, uint32_t flags = 0);
  void zero(uint64_t offset, uint64_t count, uint32_t flags = 0);  // NO_HOLE, FAST_ZERO, FUA
  void trim(uint64_t offset, uint64_t count, uint32_t flags = 0);
  void flush();

  // Polite NBD_CMD_DISC; the handle is closed by the destructor either way.
  void disconnect();

 private:
  nbd_handle* handle() const;
  // Throws for the libnbd error just raised; `context` (may be empty) is appended.
  [[noreturn]] void fail(const std::string& context) const;

  nbd_handle* h_ = nullptr;
  std::filesystem::path socket_;
  std::string export_name_;
  std::vector<std::string> requested_;
};

}  // namespace chaincheck::impl
