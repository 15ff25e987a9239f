#include "cli/systems.hpp"

#include <stdexcept>

#include "impl/scenario/qemu_system.hpp"

namespace chaincheck::cli {

std::vector<std::string> system_names() { return {"model", "qemu"}; }

oracle::SystemFactory system_factory(const std::string& name) {
  if (name == "model") return [] { return std::make_unique<model::ModelSystem>(); };
  if (name == "qemu") {
    // Constructing one checks the programs are installed (a clear error if not).
    impl::QemuSystem probe;
    return [] { return std::make_unique<impl::QemuSystem>(); };
  }
  throw std::invalid_argument("unknown system '" + name + "' (model, qemu)");
}

}  // namespace chaincheck::cli
