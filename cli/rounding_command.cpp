// chaincheck rounding IMAGE --align N: the three rounded answers side by side.
#include <iostream>

#include "impl/process/process.hpp"
#include "cli/commands.hpp"
#include "cli/rounding_runner.hpp"

namespace chaincheck::cli {

int cmd_rounding(const RoundingArgs& a) {
  oracle::conformance::RoundingComparison c;
  try {
    impl::install_interrupt_cleanup();
    c = compare_rounding_live(a.image, a.format, a.align);
  } catch (const std::exception& e) {
    std::cerr << "chaincheck rounding: " << e.what() << "\n";
    return 2;
  }
  std::cout << oracle::conformance::rounding_table(c);
  for (const auto& s : c.sides)
    if (!s.violations.empty()) return 1;
  return 0;
}

}  // namespace chaincheck::cli
