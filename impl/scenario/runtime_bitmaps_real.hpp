// The qmp-bitmaps step (model/scenario/runtime_bitmap_steps.hpp) on a real qemu-storage-daemon: the
// image opened as node "top" with driver qcow2 and backing null, each command over QMP
// (a refused one is noted and the session goes on, as the model's does), then quit so the
// persistent bitmaps are stored before the next step.
#pragma once

#include "impl/process/process.hpp"
#include "model/scenario/scenario.hpp"

namespace chaincheck::impl {

// Runs a RuntimeBitmapStep (false for any other step). Throws ToolError with every refused
// command ("block-dirty-bitmap-KIND NAME: QEMU's message", "; " between, as
// model::command_error writes them), or with why the image did not open or the daemon died.
bool realize_runtime_bitmap_step(const model::Step& step, const Workspace& ws);

}  // namespace chaincheck::impl
