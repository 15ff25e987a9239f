#include <stdexcept>

#include "cli/systems.hpp"

namespace chaincheck::cli {

std::vector<std::string> system_names() { return {"model"}; }

oracle::SystemFactory system_factory(const std::string& name) {
  if (name == "model") return [] { return std::make_unique<model::ModelSystem>(); };
  throw std::invalid_argument("unknown system '" + name + "' (this build has: model)");
}

}  // namespace chaincheck::cli
