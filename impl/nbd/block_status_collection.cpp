// block_status_full: cover a range with as many NBD_CMD_BLOCK_STATUS requests as the server
// needs. Servers may stop short of the request, and each context may stop at a different
// place, so the next request starts where the least advanced context stopped.
#include <algorithm>
#include <limits>

#include "impl/nbd/block_status.hpp"
#include "impl/nbd/nbd_client.hpp"

namespace chaincheck::impl {

uint64_t ContextReply::covered() const {
  uint64_t sum = 0;
  for (const auto& e : extents) sum += e.length;
  return sum;
}

std::vector<ContextReply> BlockStatusObservation::replies_for(const std::string& context) const {
  std::vector<ContextReply> out;
  for (const auto& r : replies)
    if (r.context == context) out.push_back(r);
  return out;
}

BlockStatusObservation NbdClient::block_status_full(uint64_t offset, uint64_t count,
                                                    const BlockStatusLoopOptions& options) {
  BlockStatusObservation all;
  all.offset = offset;
  all.count = count;
  const std::vector<std::string> contexts = negotiated_contexts();
  if (contexts.empty()) {
    all.error = "block_status_full: no metadata context was negotiated";
    return all;
  }
  const uint64_t end = offset + count;
  const uint64_t step = std::max<uint64_t>(1, options.max_request);
  uint64_t pos = offset;
  for (unsigned n = 0; pos < end; ++n) {
    if (n == options.max_requests) {
      all.error = "block_status_full: gave up after " + std::to_string(n) + " requests at offset " +
                  std::to_string(pos);
      return all;
    }
    BlockStatusObservation one;
    try {
      one = block_status(pos, std::min(end - pos, step), options.flags);
    } catch (const NbdConnectionLost& lost) {
      auto partial = all;
      partial.replies.insert(partial.replies.end(), lost.partial().replies.begin(),
                             lost.partial().replies.end());
      partial.error = lost.what();
      throw NbdConnectionLost(lost.what(), lost.errno_value(), std::move(partial));
    }
    all.replies.insert(all.replies.end(), one.replies.begin(), one.replies.end());
    if (!one.ok()) {
      all.error = one.error;
      return all;
    }
    // Where each context got to in this round (a context answering twice counts its
    // furthest chunk; a context missing an answer stops the loop: the oracle flags it).
    uint64_t next = std::numeric_limits<uint64_t>::max();
    for (const auto& ctx : contexts) {
      uint64_t reached = pos;
      bool answered = false;
      for (const auto& r : one.replies) {
        if (r.context != ctx) continue;
        answered = true;
        reached = std::max(reached, r.offset + r.covered());
      }
      if (!answered) {
        all.error = "block_status_full: no reply for context " + ctx + " at offset " + std::to_string(pos);
        return all;
      }
      next = std::min(next, reached);
    }
    if (next <= pos) {
      all.error = "block_status_full: no progress at offset " + std::to_string(pos);
      return all;
    }
    pos = next;
  }
  return all;
}

}  // namespace chaincheck::impl
