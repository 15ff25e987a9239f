#include "model/scenario/chain_steps.hpp"

#include "model/scenario/json_fields.hpp"
#include "model/scenario/scenario_json.hpp"
#include "model/scenario/sizes.hpp"

namespace chaincheck::model {

using nlohmann::json;

namespace {

using json_fields::bool_or;
using json_fields::fail;
using json_fields::only_keys;
using json_fields::optional_string;
using json_fields::string_field;

ImageFormat format_field(const json& j, const std::string& path, const char* key) {
  std::string v = string_field(j, path, key);
  if (v == "raw") return ImageFormat::Raw;
  if (v == "qcow2") return ImageFormat::Qcow2;
  fail(path + "." + key, "unknown format '" + v + "' (expected raw or qcow2)");
}

unsigned cluster_bits_field(const json& j, const std::string& path) {
  const json& v = j["cluster_size"];
  std::optional<std::uint64_t> n;
  if (v.is_number_unsigned()) n = v.get<std::uint64_t>();
  else if (v.is_string()) n = parse_size(v.get<std::string>());
  for (unsigned b = 9; n && b <= 21; ++b)
    if (*n == (std::uint64_t{1} << b)) return b;
  fail(path + ".cluster_size", "expected a power of two between 512 and 2M");
}

}  // namespace

std::string describe(const CommitStep& s) {
  const CommitOptions& o = s.options;
  return "commit " + o.top + (o.base ? " into " + *o.base : std::string()) + (o.drop ? " -d" : "");
}

std::string describe(const RebaseStep& s) {
  const RebaseOptions& o = s.options;
  return std::string("rebase") + (o.unsafe ? " -u " : " ") + o.image + " onto " +
         (o.backing.empty() ? std::string("nothing") : o.backing);
}

std::string describe(const ConvertStep& s) {
  const ConvertOptions& o = s.options;
  std::string out = "convert " + o.source + " to " + o.target + " " + to_string(o.target_format);
  if (o.target_format == ImageFormat::Qcow2 && !o.existing) out += " cluster=" + std::to_string(u64{1} << o.cluster_bits);
  if (o.backing) out += " -B " + *o.backing;
  if (o.existing) out += " -n";
  if (o.target_is_zero) out += " --target-is-zero";
  if (o.bitmaps) out += " --bitmaps";
  return out;
}

std::optional<OpError> apply_chain_step(ModelState& state, const CommitStep& s) { return commit_image(state, s.options); }
std::optional<OpError> apply_chain_step(ModelState& state, const RebaseStep& s) { return rebase_image(state, s.options); }
std::optional<OpError> apply_chain_step(ModelState& state, const ConvertStep& s) { return convert_image(state, s.options); }

json to_json(const CommitStep& s) {
  json j = {{"top", s.options.top}, {"drop", s.options.drop}};
  if (s.options.base) j["base"] = *s.options.base;
  return j;
}

json to_json(const RebaseStep& s) {
  json j = {{"image", s.options.image}, {"backing", s.options.backing}, {"unsafe", s.options.unsafe}};
  if (s.options.backing_format) j["backing_format"] = to_string(*s.options.backing_format);
  return j;
}

json to_json(const ConvertStep& s) {
  const ConvertOptions& o = s.options;
  json j = {{"source", o.source}, {"target", o.target}, {"format", to_string(o.target_format)},
            {"existing", o.existing}, {"target_is_zero", o.target_is_zero}};
  if (o.target_format == ImageFormat::Qcow2 && !o.existing) j["cluster_size"] = u64{1} << o.cluster_bits;
  if (o.backing) j["backing"] = *o.backing;
  if (o.backing_format) j["backing_format"] = to_string(*o.backing_format);
  if (o.bitmaps) j["bitmaps"] = true;
  return j;
}

CommitStep commit_step_from_json(const json& j, const std::string& path) {
  only_keys(j, path, {"top", "base", "drop"});
  CommitStep s;
  s.options.top = string_field(j, path, "top");
  s.options.base = optional_string(j, path, "base");
  s.options.drop = bool_or(j, path, "drop", false);
  return s;
}

RebaseStep rebase_step_from_json(const json& j, const std::string& path) {
  only_keys(j, path, {"image", "backing", "backing_format", "unsafe"});
  RebaseStep s;
  s.options.image = string_field(j, path, "image");
  s.options.backing = string_field(j, path, "backing");
  if (j.contains("backing_format")) s.options.backing_format = format_field(j, path, "backing_format");
  if (!s.options.backing.empty() && !s.options.backing_format)
    fail(path + ".backing_format", "missing (always name the backing format)");
  s.options.unsafe = bool_or(j, path, "unsafe", false);
  return s;
}

ConvertStep convert_step_from_json(const json& j, const std::string& path) {
  only_keys(j, path, {"source", "target", "format", "cluster_size", "backing", "backing_format", "existing",
                      "target_is_zero", "bitmaps"});
  ConvertStep s;
  ConvertOptions& o = s.options;
  o.source = string_field(j, path, "source");
  o.target = string_field(j, path, "target");
  o.target_format = format_field(j, path, "format");
  o.existing = bool_or(j, path, "existing", false);
  o.target_is_zero = bool_or(j, path, "target_is_zero", false);
  o.bitmaps = bool_or(j, path, "bitmaps", false);
  if (j.contains("cluster_size")) {
    if (o.target_format != ImageFormat::Qcow2 || o.existing) fail(path + ".cluster_size", "only for a new qcow2 target");
    o.cluster_bits = cluster_bits_field(j, path);
  }
  o.backing = optional_string(j, path, "backing");
  if (j.contains("backing_format")) o.backing_format = format_field(j, path, "backing_format");
  if (o.backing && !o.backing_format) fail(path + ".backing_format", "missing (always name the backing format)");
  if (o.backing_format && !o.backing) fail(path + ".backing_format", "only with backing");
  if (o.target_is_zero && !o.existing) fail(path + ".target_is_zero", "needs existing: true (qemu-img convert -n)");
  return s;
}

std::vector<std::string> command_words(const CommitStep& s) {
  std::vector<std::string> w = {"qemu-img", "commit", "-q", "-f", "qcow2"};
  if (s.options.base) w.insert(w.end(), {"-b", *s.options.base});
  if (s.options.drop) w.push_back("-d");
  w.push_back(s.options.top);
  return w;
}

std::vector<std::string> command_words(const RebaseStep& s) {
  std::vector<std::string> w = {"qemu-img", "rebase", "-q", "-f", "qcow2"};
  if (s.options.unsafe) w.push_back("-u");
  w.insert(w.end(), {"-b", s.options.backing});
  if (s.options.backing_format) w.insert(w.end(), {"-F", to_string(*s.options.backing_format)});
  w.push_back(s.options.image);
  return w;
}

std::vector<std::string> command_words(const ConvertStep& s, const FormatOf& format_of) {
  const ConvertOptions& o = s.options;
  std::vector<std::string> w = {"qemu-img", "convert", "-q", "-f", to_string(format_of(o.source)), "-O",
                                to_string(o.target_format)};
  if (o.target_format == ImageFormat::Qcow2 && !o.existing)
    w.insert(w.end(), {"-o", "cluster_size=" + std::to_string(u64{1} << o.cluster_bits)});
  if (o.backing) w.insert(w.end(), {"-B", *o.backing, "-F", to_string(o.backing_format.value_or(ImageFormat::Raw))});
  if (o.existing) w.push_back("-n");
  if (o.target_is_zero) w.push_back("--target-is-zero");
  if (o.bitmaps) w.push_back("--bitmaps");
  w.insert(w.end(), {o.source, o.target});
  return w;
}

std::vector<std::string> images_named(const CommitStep& s) {
  std::vector<std::string> v = {s.options.top};
  if (s.options.base) v.push_back(*s.options.base);
  return v;
}
std::vector<std::string> images_named(const RebaseStep& s) { return {s.options.image, s.options.backing}; }
std::vector<std::string> images_named(const ConvertStep& s) {
  std::vector<std::string> v = {s.options.source, s.options.target};
  if (s.options.backing) v.push_back(*s.options.backing);
  return v;
}

}  // namespace chaincheck::model
