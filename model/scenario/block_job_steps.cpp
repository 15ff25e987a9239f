#include "model/scenario/block_job_steps.hpp"

#include "model/scenario/json_fields.hpp"
#include "model/scenario/scenario_json.hpp"

namespace chaincheck::model {

using nlohmann::json;

namespace {

using json_fields::fail;
using json_fields::image_name_field;
using json_fields::only_keys;
using json_fields::optional_image_name;

}  // namespace

std::string describe(const StreamStep& s) {
  return "block-stream " + s.options.image + (s.options.base ? " base=" + *s.options.base : std::string());
}

std::string describe(const BlockCommitStep& s) {
  if (s.options.top == s.options.overlay)
    return "block-commit " + s.options.top + " (active, then block-job-complete)" +
           (s.options.base ? " into " + *s.options.base : std::string(" into the bottom"));
  return "block-commit " + s.options.top + " of " + s.options.overlay +
         (s.options.base ? " into " + *s.options.base : std::string(" into the bottom"));
}

std::optional<OpError> apply_job_step(ModelState& state, const StreamStep& s) { return stream_image(state, s.options); }
std::optional<OpError> apply_job_step(ModelState& state, const BlockCommitStep& s) {
  return block_commit_image(state, s.options);
}

json to_json(const StreamStep& s) {
  json j = {{"image", s.options.image}};
  if (s.options.base) j["base"] = *s.options.base;
  return j;
}

json to_json(const BlockCommitStep& s) {
  json j = {{"overlay", s.options.overlay}, {"top", s.options.top}};
  if (s.options.base) j["base"] = *s.options.base;
  return j;
}

StreamStep stream_step_from_json(const json& body, const std::string& path) {
  only_keys(body, path, {"image", "base"});
  StreamStep s;
  s.options.image = image_name_field(body, path, "image");
  s.options.base = optional_image_name(body, path, "base");
  if (s.options.base == s.options.image) fail(path + ".base", "must differ from image");
  return s;
}

BlockCommitStep block_commit_step_from_json(const json& body, const std::string& path) {
  only_keys(body, path, {"overlay", "top", "base"});
  BlockCommitStep s;
  s.options.overlay = image_name_field(body, path, "overlay");
  s.options.top = image_name_field(body, path, "top");
  s.options.base = optional_image_name(body, path, "base");
  if (s.options.base == s.options.top) fail(path + ".base", "must differ from top");
  return s;
}

json qmp_command(const StreamStep& s) {
  json a = {{"job-id", "job0"}, {"device", s.options.image}};
  if (s.options.base) a["base-node"] = *s.options.base;
  return {{"execute", "block-stream"}, {"arguments", a}};
}

json qmp_command(const BlockCommitStep& s) {
  json a = {{"job-id", "job0"}, {"device", s.options.overlay}, {"top-node", s.options.top}};
  if (s.options.base) a["base-node"] = *s.options.base;
  return {{"execute", "block-commit"}, {"arguments", a}};
}

std::optional<json> qmp_completion(const BlockCommitStep& s) {
  if (s.options.top != s.options.overlay) return std::nullopt;
  return json{{"execute", "block-job-complete"}, {"arguments", {{"device", "job0"}}}};
}

std::vector<std::string> images_named(const StreamStep& s) {
  std::vector<std::string> v{s.options.image};
  if (s.options.base) v.push_back(*s.options.base);
  return v;
}

std::vector<std::string> images_named(const BlockCommitStep& s) {
  std::vector<std::string> v{s.options.overlay, s.options.top};
  if (s.options.base) v.push_back(*s.options.base);
  return v;
}

}  // namespace chaincheck::model
