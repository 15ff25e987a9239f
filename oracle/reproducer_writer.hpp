// A scenario as a standalone shell transcript: pasteable into a qemu-block mail, and
// replayable by `chaincheck repro` (which rewrites nbd://localhost to a private socket).
#pragma once

#include <string>

#include "model/scenario/scenario.hpp"
#include "oracle/finding.hpp"

namespace chaincheck::oracle {

// Commands only (no header): one per line, in the grammar of impl/transcript.
std::string scenario_to_transcript(const model::Scenario& s);
// With a comment header that names the finding, seed and versions.
std::string reproducer_script(const model::Scenario& s, const Finding& f);

}  // namespace chaincheck::oracle
