// Scenario steps for chain operations (qemu-img commit, rebase, convert): the step types
// of Scenario::steps, their JSON form, one-line descriptions and shell command lines.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/semantics/chain_operations.hpp"

namespace chaincheck::model {

struct CommitStep { CommitOptions options; };
struct RebaseStep { RebaseOptions options; };
struct ConvertStep { ConvertOptions options; };

std::string describe(const CommitStep& s);
std::string describe(const RebaseStep& s);
std::string describe(const ConvertStep& s);

std::optional<OpError> apply_chain_step(ModelState& state, const CommitStep& s);
std::optional<OpError> apply_chain_step(ModelState& state, const RebaseStep& s);
std::optional<OpError> apply_chain_step(ModelState& state, const ConvertStep& s);

nlohmann::json to_json(const CommitStep& s);
nlohmann::json to_json(const RebaseStep& s);
nlohmann::json to_json(const ConvertStep& s);
// `body` is the object under the step's key ("commit", "rebase", "convert"); errors (a
// ScenarioError) name `path`.
CommitStep commit_step_from_json(const nlohmann::json& body, const std::string& path);
RebaseStep rebase_step_from_json(const nlohmann::json& body, const std::string& path);
ConvertStep convert_step_from_json(const nlohmann::json& body, const std::string& path);

// The qemu-img command line (argv words, quoted by the caller) of each step; `format_of`
// names the format of an image the scenario made.
using FormatOf = std::function<ImageFormat(const std::string&)>;
std::vector<std::string> command_words(const CommitStep& s);
std::vector<std::string> command_words(const RebaseStep& s);
std::vector<std::string> command_words(const ConvertStep& s, const FormatOf& format_of);

// Images a step reads or writes (the minimiser drops no layer a chain step names).
std::vector<std::string> images_named(const CommitStep& s);
std::vector<std::string> images_named(const RebaseStep& s);
std::vector<std::string> images_named(const ConvertStep& s);

}  // namespace chaincheck::model
