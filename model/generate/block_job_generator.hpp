// The campaign generator's block jobs (QMP block-stream, block-commit of an intermediate
// layer or of the active one), drawn by maybe_add_chain_step in place of a qemu-img chain operation.
#pragma once

#include <vector>

#include "model/generate/chain_step_generator.hpp"

namespace chaincheck::model {

// `layers` bottom first, each backing the next. Appends a StreamStep of the top, a
// BlockCommitStep of an intermediate layer or an active BlockCommitStep of the top; false (nothing appended) when the chain has
// no layer a job fits.
bool add_job_step(Chooser& c, const std::vector<GeneratedLayer>& layers, Scenario& s);

}  // namespace chaincheck::model
