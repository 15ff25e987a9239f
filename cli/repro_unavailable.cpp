#include <iostream>

#include "cli/commands.hpp"

namespace chaincheck::cli {

int cmd_repro(const ReproArgs&) {
  std::cerr << "chaincheck repro: this build has no real-stack executor (impl/scenario)\n";
  return 2;
}

int cmd_bench(double) {
  std::cerr << "chaincheck bench: this build has no real-stack executor (impl/scenario)\n";
  return 2;
}

}  // namespace chaincheck::cli
