// Which system a command runs scenarios against: "model" (the model itself, for testing the
// harness) or "qemu" (the installed QEMU stack, impl/scenario).
#pragma once

#include <string>
#include <vector>

#include "oracle/campaign.hpp"

namespace chaincheck::cli {

std::vector<std::string> system_names();
// Throws std::invalid_argument for an unknown name.
oracle::SystemFactory system_factory(const std::string& name);

}  // namespace chaincheck::cli
