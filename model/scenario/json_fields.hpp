// The scenario JSON readers' shared checks: every error names the field (model/scenario/SCENARIO.md).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/scenario/scenario_json.hpp"

namespace chaincheck::model::json_fields {

[[noreturn]] inline void fail(const std::string& path, const std::string& what) {
  throw ScenarioError(path + ": " + what);
}

// Refuses any key not in `keys`, naming it.
inline void only_keys(const nlohmann::json& j, const std::string& path, std::initializer_list<const char*> keys) {
  if (!j.is_object()) fail(path, "expected an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) fail(path + "." + it.key(), "unknown field");
  }
}

// The member `key` of object `j`, or an error naming the missing field.
inline const nlohmann::json& field(const nlohmann::json& j, const std::string& path, const char* key) {
  if (!j.is_object()) fail(path, "expected an object");
  auto it = j.find(key);
  if (it == j.end()) fail(path + "." + key, "missing");
  return *it;
}

inline std::string string_field(const nlohmann::json& j, const std::string& path, const char* key) {
  const nlohmann::json& v = field(j, path, key);
  if (!v.is_string()) fail(path + "." + key, "expected a string");
  return v.get<std::string>();
}

inline std::optional<std::string> optional_string(const nlohmann::json& j, const std::string& path, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return string_field(j, path, key);
}

// An image's name: a non-empty string.
inline std::string image_name_field(const nlohmann::json& j, const std::string& path, const char* key) {
  const nlohmann::json& v = field(j, path, key);
  if (!v.is_string() || v.get<std::string>().empty()) fail(path + "." + key, "expected an image name");
  return v.get<std::string>();
}

inline std::optional<std::string> optional_image_name(const nlohmann::json& j, const std::string& path, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return image_name_field(j, path, key);
}

inline bool bool_or(const nlohmann::json& j, const std::string& path, const char* key, bool dflt) {
  auto it = j.find(key);
  if (it == j.end()) return dflt;
  if (!it->is_boolean()) fail(path + "." + key, "expected true or false");
  return it->get<bool>();
}

}  // namespace chaincheck::model::json_fields
