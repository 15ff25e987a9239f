// Chain-operation steps (model/scenario/chain_steps.hpp) realised with the real qemu-img.
#pragma once

#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/scenario/qemu_graph.hpp"
#include "model/scenario/scenario.hpp"

namespace chaincheck::impl {

// Runs a CommitStep, RebaseStep or ConvertStep (false for any other step); throws ToolError
// with qemu-img's own message when the tool refuses. A convert target joins `formats`.
bool realize_chain_step(const model::Step& step, const QemuImg& img, ImageFormats& formats);

}  // namespace chaincheck::impl
