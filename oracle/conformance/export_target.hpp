// What nbd-check needs from an NBD export, as an interface: the oracle judges replies
// without knowing how they were fetched (impl/nbd over libnbd in the CLI, a scripted fake
// in unit tests).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/scenario/observation.hpp"

namespace chaincheck::oracle::conformance {

using u64 = std::uint64_t;

// Every chunk of one NBD_CMD_BLOCK_STATUS, as sent; `error` non-empty when the command
// failed (chunks received before the failure kept).
struct StatusReply {
  std::vector<model::ContextReply> chunks;
  std::string error;
  bool ok() const { return error.empty(); }
};

// One connection in transmission phase.
class ExportSession {
 public:
  virtual ~ExportSession() = default;
  virtual u64 size() = 0;
  virtual u64 min_block() = 0;        // 1 when the server advertised none
  virtual u64 preferred_block() = 0;  // 0 when the server advertised none
  virtual bool structured_replies() = 0;
  virtual std::vector<std::string> contexts() = 0;  // negotiated, in request order
  virtual StatusReply block_status(u64 offset, u64 count, bool req_one) = 0;
  // Throws std::runtime_error when the read fails.
  virtual std::vector<std::uint8_t> read(u64 offset, u64 count) = 0;
};

struct SessionRequest {
  std::vector<std::string> contexts;
  bool request_block_size = true;  // NBD_INFO_BLOCK_SIZE asked for (libnbd default)
  bool list_contexts = false;      // NBD_OPT_LIST_META_CONTEXT first, on this connection
};

struct OpenedSession {
  std::unique_ptr<ExportSession> session;
  std::optional<std::vector<std::string>> offered;  // when listed and the server answered
  std::string list_error;                           // when listed and the server refused
};

class ExportTarget {
 public:
  virtual ~ExportTarget() = default;
  // Throws std::runtime_error when no session can be opened (unreachable, bad export).
  virtual OpenedSession open(const SessionRequest& request) = 0;
};

}  // namespace chaincheck::oracle::conformance
