// Block jobs of qemu-storage-daemon (QMP block-stream, block-commit of an intermediate
// node): what each does to every layer's metadata and content, as the sequence of reads
// and writes the job issues (effects per cluster from operations.cpp / filter_effects.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/semantics/operations.hpp"

namespace chaincheck::model {

// block-stream device=IMAGE [base-node=BASE]: IMAGE's chain opened from its header.
struct StreamOptions {
  std::string image;
  std::optional<std::string> base;  // an image of IMAGE's backing chain; none: stream it all
  bool operator==(const StreamOptions&) const = default;
};

// block-commit device=OVERLAY top-node=TOP [base-node=BASE]: TOP below OVERLAY (commit.c), or
// TOP = OVERLAY, an active commit (a mirror job, completed with block-job-complete).
struct BlockCommitOptions {
  std::string overlay;  // the chain's active layer, opened from its header
  std::string top;      // an image of OVERLAY's backing chain, or OVERLAY itself (active commit)
  std::optional<std::string> base;  // below TOP; none: the bottom of the chain
  bool operator==(const BlockCommitOptions&) const = default;
};

// Index of image `name` in `layers` (cow_layers of `g`, from `from` on), or -1.
int layer_index(const ModelState& s, const Graph& g, const std::vector<int>& layers, const std::string& name,
                std::size_t from);

std::optional<OpError> stream_image(ModelState& s, const StreamOptions& o);
std::optional<OpError> block_commit_image(ModelState& s, const BlockCommitOptions& o);
// The active commit (o.top == o.overlay; model/semantics/active_commit.cpp).
std::optional<OpError> active_commit_image(ModelState& s, const BlockCommitOptions& o);

}  // namespace chaincheck::model
