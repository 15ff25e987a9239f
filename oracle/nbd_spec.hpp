// The NBD protocol's MUSTs for NBD_REPLY_TYPE_BLOCK_STATUS, checked on replies as sent
// (doc/proto.md "NBD_CMD_BLOCK_STATUS" and "Metadata querying").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/scenario/observation.hpp"
#include "oracle/finding.hpp"

namespace chaincheck::oracle {

struct ReplyLimits {
  u64 export_size = 0;
  u64 min_block = 1;
  // Allocation depths above this are out of range (the number of COW layers); 0: unchecked.
  unsigned max_depth = 0;
};

// Every violation in one reply (empty when it is compliant).
std::vector<Finding> check_block_status_reply(const model::ContextReply& reply, const ReplyLimits& limits);

}  // namespace chaincheck::oracle
