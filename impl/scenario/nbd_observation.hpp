// What a connected libnbd client sees of an export, in the model's observation types:
// every block-status reply as sent, and the bytes read back as runs.
#pragma once

#include "impl/nbd/nbd_client.hpp"
#include "model/scenario/observation.hpp"

namespace chaincheck::impl {

// Export size, block sizes, negotiated contexts and raw replies covering the whole export.
model::NbdObservation observe_block_status(NbdClient& client);
// The same replies, in model form (extent starts filled in).
std::vector<model::ContextReply> to_model(const BlockStatusObservation& b, std::uint64_t request_length);
// Every byte of [0, size) as runs of equal bytes.
std::vector<model::Extent<std::uint8_t>> read_runs(NbdClient& client, std::uint64_t size);

}  // namespace chaincheck::impl
