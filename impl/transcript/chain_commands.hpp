// qemu-img commit / rebase / convert in a transcript, read into the model's own steps so
// that chaincheck repro applies them to the model and keeps judging what follows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/scenario/scenario.hpp"

namespace chaincheck::impl {

struct QemuImgChainOp {
  std::string subcommand;  // commit, rebase, convert
  model::Step step;        // a CommitStep, RebaseStep or ConvertStep
};

// argv starts with "qemu-img" SUBCOMMAND. nullopt when the command uses an option the model
// does not follow (e.g. convert -c, -S, several sources, -o other than cluster_size): then it
// runs unmodelled. Throws TranscriptError for a command that cannot be right (no file).
std::optional<QemuImgChainOp> parse_chain_op(const std::vector<std::string>& argv, int line);

}  // namespace chaincheck::impl
