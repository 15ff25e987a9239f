// Block-job steps (model/scenario/block_job_steps.hpp) realised on a real qemu-storage-daemon: the
// chain is added with blockdev-add (one node per layer, bottom first, as the headers name
// it), the job runs to its end (BLOCK_JOB_COMPLETED, then the job's auto-dismiss), and the
// daemon quits so every header is written before the next step.
#pragma once

#include "impl/process/process.hpp"
#include "impl/scenario/qemu_graph.hpp"
#include "model/scenario/scenario.hpp"

namespace chaincheck::impl {

// Runs a StreamStep or BlockCommitStep (false for any other step); throws QmpError with
// QEMU's own message when it refuses, ToolError when the job fails or does not finish.
bool realize_job_step(const model::Step& step, const Workspace& ws, const ImageFormats& formats);

}  // namespace chaincheck::impl
