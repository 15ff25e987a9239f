// The one error the qcow2 inspector raises for a malformed or hostile image.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace chaincheck::impl {

// Names what is wrong and where (offset, L1/L2 index, field). I/O failures of the
// file itself are std::system_error, not this.
class Qcow2FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "0x1f000": offsets in messages are hex, as in QEMU's own corruption messages.
std::string hex(std::uint64_t value);

}  // namespace chaincheck::impl
