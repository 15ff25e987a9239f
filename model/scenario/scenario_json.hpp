// Scenario <-> JSON (nlohmann/json). Errors name the field: "steps[2].io.op: ...".
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "model/scenario/scenario.hpp"

namespace chaincheck::model {

class ScenarioError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

Scenario scenario_from_json(const nlohmann::json& j);
Scenario scenario_from_text(const std::string& text);  // parse errors name line and column
nlohmann::json to_json(const Scenario& s);
nlohmann::json to_json(const GraphSpec& g);
GraphSpec graph_from_json(const nlohmann::json& j, const std::string& path = "graph");

}  // namespace chaincheck::model
