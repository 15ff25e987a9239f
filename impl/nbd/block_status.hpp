// What an NBD server answered to NBD_CMD_BLOCK_STATUS, kept exactly as sent so an oracle can
// judge every reply against the NBD spec (short replies, overlong last extents, REQ_ONE, ...).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chaincheck::impl {

// One (length, flags) descriptor of a block-status reply chunk.
struct RawExtent {
  uint64_t length = 0;
  uint32_t flags = 0;
  bool operator==(const RawExtent&) const = default;
};

// One NBD_REPLY_TYPE_BLOCK_STATUS chunk: the extents for one metadata context, starting at
// the offset of the request that produced it.
struct ContextReply {
  std::string context;
  uint64_t offset = 0;
  std::vector<RawExtent> extents;
  uint64_t covered() const;  // sum of the extent lengths
  bool operator==(const ContextReply&) const = default;
};

// Every chunk received for one request (block_status) or for a sequence of requests
// covering a range (block_status_full), in arrival order. `error` is empty when every
// request succeeded; otherwise it is the libnbd/server error text of the first failure
// (the replies received before it are kept).
struct BlockStatusObservation {
  uint64_t offset = 0;
  uint64_t count = 0;
  std::vector<ContextReply> replies;
  std::string error;
  bool ok() const { return error.empty(); }
  // The replies for one context, in order.
  std::vector<ContextReply> replies_for(const std::string& context) const;
};

// Tuning of block_status_full.
struct BlockStatusLoopOptions {
  uint32_t flags = 0;                    // e.g. LIBNBD_CMD_FLAG_REQ_ONE
  uint64_t max_request = 0x80000000ULL;  // longest single request (NBD counts are 32-bit)
  unsigned max_requests = 1u << 20;      // guard against a server that never progresses
};

}  // namespace chaincheck::impl
