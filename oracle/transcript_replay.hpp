// chaincheck repro: a bug report's transcript, replayed against the model next to what the
// real tools said (impl/transcript runs them), judged line by line and annotated.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "impl/transcript/transcript.hpp"
#include "impl/transcript/transcript_runner.hpp"
#include "model/scenario/rebuild.hpp"
#include "oracle/registry.hpp"

namespace chaincheck::oracle {

struct ReproLine {
  const impl::TranscriptCommand* command = nullptr;
  const impl::CommandOutcome* outcome = nullptr;
  std::vector<std::string> model;  // the model's answer, in the tool's own format
  std::vector<std::string> notes;  // e.g. "not modelled: ..."
  std::vector<Finding> findings;
};

// A step that failed on one side only (model or tool): the judge's step finding, placed at
// transcript line `line_no` and naming `what` ran. Nothing when both agree.
void add_step_divergence(const std::string& model_err, const std::string& real_err, const std::string& what,
                         int line_no, ReproLine& line);

// A layer the transcript exported alone (backing: null) and queried: the seed 004 chain
// rebuild is checked over its backing chain as the replayed steps made it
// (oracle/transcript_replay_rebuild.hpp runs it).
struct ReproRebuildRequest {
  std::string image;
  int line = 0;              // the first nbdinfo line that queried the export
  model::Scenario scenario;  // the steps the model replayed up to that line; export = image
};
struct ReproRebuild {
  ReproRebuildRequest request;
  model::RebuildObservation predicted, observed;
  std::vector<Finding> findings;
  std::string note;  // why it was not run, when it was not
};

struct ReproReport {
  std::vector<ReproLine> lines;
  std::vector<ReproRebuildRequest> rebuild_requests;
  std::vector<ReproRebuild> rebuilds;
  std::vector<std::string> picture;  // "top.qcow2  -E0-"
  std::map<std::string, std::string> versions;
  std::size_t findings() const;
  std::size_t new_findings() const;
};

ReproReport judge_transcript(const std::vector<impl::TranscriptCommand>& commands, const impl::TranscriptRun& run,
                             const Registry& registry);

// Plain text, one block per command. normalize: host offsets, versions and socket paths
// replaced by placeholders (golden output).
std::string render_text(const ReproReport& report, bool normalize);
nlohmann::json render_json(const ReproReport& report);

// nbdinfo --map's line format and descriptions.
std::string nbdinfo_line(std::uint64_t offset, std::uint64_t length, std::uint32_t value, const std::string& context);

}  // namespace chaincheck::oracle
