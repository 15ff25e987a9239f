// Scenario steps for block jobs on qemu-storage-daemon (QMP block-stream, block-commit of an
// intermediate node): the step types of Scenario::steps, their JSON form, one-line
// descriptions and the QMP commands that run them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/semantics/block_jobs.hpp"

namespace chaincheck::model {

struct StreamStep { StreamOptions options; };
struct BlockCommitStep { BlockCommitOptions options; };

std::string describe(const StreamStep& s);
std::string describe(const BlockCommitStep& s);

std::optional<OpError> apply_job_step(ModelState& state, const StreamStep& s);
std::optional<OpError> apply_job_step(ModelState& state, const BlockCommitStep& s);

// {"image": ..., "base": ...} under "stream"; {"overlay", "top", "base"} under "block-commit".
nlohmann::json to_json(const StreamStep& s);
nlohmann::json to_json(const BlockCommitStep& s);
// `body` is the object under the step's key; errors (a ScenarioError) name `path`.
StreamStep stream_step_from_json(const nlohmann::json& body, const std::string& path);
BlockCommitStep block_commit_step_from_json(const nlohmann::json& body, const std::string& path);

// The QMP command (execute + arguments) that starts the job, nodes named after their image
// (the node-name of an image's format node is its file name): job-id "job0".
nlohmann::json qmp_command(const StreamStep& s);
nlohmann::json qmp_command(const BlockCommitStep& s);
// An active commit (top = overlay) runs until BLOCK_JOB_READY, then needs this command to
// pivot and conclude (mirror_complete); nullopt for every other job.
std::optional<nlohmann::json> qmp_completion(const BlockCommitStep& s);

// Images a step reads or writes (the minimiser drops no layer a job names).
std::vector<std::string> images_named(const StreamStep& s);
std::vector<std::string> images_named(const BlockCommitStep& s);

}  // namespace chaincheck::model
