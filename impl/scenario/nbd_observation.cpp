#include "impl/scenario/nbd_observation.hpp"

namespace chaincheck::impl {

std::vector<model::ContextReply> to_model(const BlockStatusObservation& b, std::uint64_t request_length) {
  std::vector<model::ContextReply> out;
  for (const auto& r : b.replies) {
    model::ContextReply m;
    m.context = r.context;
    m.offset = r.offset;
    m.request_length = request_length;
    std::uint64_t pos = r.offset;
    for (const auto& e : r.extents) {
      m.extents.push_back({pos, e.length, e.flags});
      pos += e.length;
    }
    out.push_back(std::move(m));
  }
  return out;
}

model::NbdObservation observe_block_status(NbdClient& client) {
  model::NbdObservation nbd;
  nbd.export_size = client.size();
  BlockSizes bs = client.block_sizes();
  nbd.block_size = {bs.minimum ? bs.minimum : 1, bs.preferred, bs.maximum};
  nbd.contexts = client.negotiated_contexts();
  if (!nbd.contexts.empty() && nbd.export_size > 0) {
    BlockStatusObservation b = client.block_status_full(0, nbd.export_size);
    nbd.error = b.error;
    nbd.replies = to_model(b, nbd.export_size);
  }
  return nbd;
}

std::vector<model::Extent<std::uint8_t>> read_runs(NbdClient& client, std::uint64_t size) {
  std::vector<model::Extent<std::uint8_t>> runs;
  const std::uint64_t chunk = 1 << 20;
  for (std::uint64_t pos = 0; pos < size; pos += chunk) {
    std::vector<std::uint8_t> bytes = client.pread(pos, std::min(chunk, size - pos));
    for (std::uint64_t i = 0; i < bytes.size(); ++i) {
      if (!runs.empty() && runs.back().value == bytes[i] && runs.back().end() == pos + i) {
        runs.back().length++;
      } else {
        runs.push_back({pos + i, 1, bytes[i]});
      }
    }
  }
  return runs;
}

}  // namespace chaincheck::impl
