// The scenario JSON readers' shared checks: every error names the field (model/SCENARIO.md).
#pragma once

#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "model/scenario_json.hpp"

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

}  // namespace chaincheck::model::json_fields
