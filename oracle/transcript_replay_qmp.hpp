// chaincheck repro: the model's side of QMP lines (impl/transcript/qmp_commands.hpp).
// block-stream -> StreamStep, block-commit of an intermediate node -> BlockCommitStep,
// block-dirty-bitmap-* -> model/semantics/runtime_bitmaps.hpp, block-export-add (type nbd) -> an
// export nbdinfo may name, quit -> the daemon closes its images. Anything else runs as
// written and is reported as not modelled (and, unless it only queries, leaves the model
// stale).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oracle/transcript_replay.hpp"

namespace chaincheck::oracle {

// One qemu-storage-daemon with a QMP monitor, as the model follows it.
struct QmpDaemonModel {
  std::vector<nlohmann::json> nodes;  // --blockdev options, then blockdev-add ones
  std::set<std::string> bitmap_images;  // images it added runtime bitmaps to (closed at quit)
  bool alive = true;
  std::string graph_unknown;  // set: its node graph is no longer followed (why), e.g. after an active commit's pivot
};

struct QmpReplay {
  std::map<int, QmpDaemonModel> daemons;  // by the daemon's transcript line
};

struct QmpExportModel {
  model::GraphSpec graph;
  bool valid = false;
  std::string why_not;
  std::vector<std::string> bitmaps;
};

// An active commit's pivot (mirror_exit_common: bdrv_replace_node(device, base)): every
// parent of the device's node, an export's included, now reads the base.
struct QmpPivot {
  int daemon = -1;                      // the daemon's transcript line
  std::string top;                      // the device's image
  std::optional<model::GraphSpec> base; // the base as the device's chain opened it; unset: unknown
  std::string why_not;                  // when base is unset
};

struct QmpLineResult {
  std::optional<QmpExportModel> export_added;  // block-export-add: counted like a qemu-nbd server
  bool stale = false;                          // the images changed in a way the model did not follow
  std::string stale_why;
  std::optional<model::Step> applied_step;     // a job the model applied (for the rebuild check's replay)
  std::optional<QmpPivot> pivot;               // an active commit completed: the daemon's exports follow
};

void start_daemon_model(QmpReplay& replay, int line, const impl::StorageDaemonRun& daemon);

// The export graph after a pivot: the image node `top` (and what hangs below it) becomes
// `base`. False when the graph has no node of `top`.
bool replace_pivoted_node(model::GraphSpec& g, const std::string& top, const model::GraphSpec& base);

QmpLineResult judge_qmp_line(model::ModelState& state, QmpReplay& replay, const impl::TranscriptCommand& tc,
                             const impl::CommandOutcome* outcome, ReproLine& line);

}  // namespace chaincheck::oracle
