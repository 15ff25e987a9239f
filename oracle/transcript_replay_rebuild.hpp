// chaincheck repro's seed 004 check: every layer a transcript exported alone (backing: null)
// and queried is rebuilt over its backing chain from what the server reports, (a) from
// base:allocation alone and (b) with qemu:allocation-depth, by the real stack and by the
// model, and judged as `campaign --rebuild` judges it (oracle/rebuild_check).
#pragma once

#include <string>
#include <vector>

#include "model/scenario/rebuild.hpp"
#include "oracle/transcript_replay.hpp"

namespace chaincheck::oracle {

// Runs the report's rebuild requests with `real` (the model predicts), fills report.rebuilds;
// findings are placed at the request's line and classified with `registry`.
void run_rebuild_checks(ReproReport& report, model::ChainRebuilder& real, const Registry& registry);

// The text block of one rebuild (render_text), e.g.
//   rebuild of top.qcow2 exported alone (line 8), over its chain base.raw > top.qcow2 (seed 004):
//     (a) base:allocation alone: first differing byte 131072 (model 131072); differing 131072+65536
//     (b) base:allocation + qemu:allocation-depth: exact (model: exact)
std::vector<std::string> rebuild_text(const ReproRebuild& r);
nlohmann::json rebuild_json(const ReproRebuild& r);

}  // namespace chaincheck::oracle
