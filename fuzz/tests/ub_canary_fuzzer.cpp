// A fuzz target with one deliberate signed overflow, built with the fuzz build's flags: the
// test beside it (expect_ub_crash.cmake) checks that undefined behaviour stops libFuzzer
// with a crash it keeps, as an ASan error does, instead of a message it runs on past.
#include <climits>
#include <cstddef>
#include <cstdint>

volatile int ub_canary_sink;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size >= 2 && data[0] == 'U') {
    int high = INT_MAX - 1;
    ub_canary_sink = high + static_cast<int>(data[1]);  // overflows for data[1] >= 2
  }
  return 0;
}
