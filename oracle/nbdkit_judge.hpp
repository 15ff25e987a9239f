// Judging the second NBD server (the NbdkitBlocksize query): what nbdkit's nbd
// plugin + blocksize filter sent in front of the export, by the NBD-spec checks, content
// soundness, and against the model's sticky rounding of the model's base:allocation.
#pragma once

#include "model/scenario/observation.hpp"
#include "oracle/judge.hpp"

namespace chaincheck::oracle {

inline constexpr const char* kNbdkitInterface = "nbdkit";
inline constexpr const char* kNbdkitGraph = "nbdkit --filter=blocksize nbd";

// Findings carry "nbdkit" among their interfaces (their own signatures) and nbdkit's
// stack as their graph (QEMU's known findings match on QEMU graphs only). Where QEMU's own
// base:allocation or read already has a finding, nbdkit only passes it on: then only its
// NBD-spec findings are reported. `qemu_verdict` is the export's own verdict so far;
// imprecisions are added to it.
std::vector<Finding> nbdkit_findings(const model::Observation& predicted, const model::Observation& observed,
                                     const JudgeContext& ctx, Verdict& qemu_verdict);

}  // namespace chaincheck::oracle
