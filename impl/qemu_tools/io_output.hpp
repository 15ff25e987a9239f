// qemu-io commands as data, and pure parsers for what qemu-io prints for them.
// qemu-io runs every -c command in order and keeps going after a failure; its exit status
// only says that *something* failed, so each command's fate is read from its output.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chaincheck::impl {

struct QemuIoCommand {
  enum class Kind { Write, WriteZeroes, WriteCompressed, Discard, Read, Map, Alloc };
  Kind kind = Kind::Write;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;             // Write*, Discard, Read
  std::optional<std::uint64_t> count;   // Alloc: qemu-io's default is 512 bytes
  std::optional<std::uint8_t> pattern;  // write -P / read -P (verified)
  bool unmap = false;                   // write -z -u
  // The -c argument: "write -P 65 0 65536", "write -z -u 0 4096", "alloc 0 262144".
  std::string text() const;
};

// "64 KiB (0x10000) bytes     allocated at offset 0 bytes (0x0)"
struct QemuIoMapLine {
  std::uint64_t start = 0;
  std::uint64_t length = 0;
  bool allocated = false;
  bool operator==(const QemuIoMapLine&) const = default;
};
std::ostream& operator<<(std::ostream& os, const QemuIoMapLine& l);

// "196608/2097152 bytes allocated at offset 0 bytes": allocated/count; the offset is only
// printed in human units ("1.003 GiB"), so it is kept as text.
struct QemuIoAlloc {
  std::uint64_t allocated = 0;
  std::uint64_t count = 0;
  std::string offset_text;
  bool operator==(const QemuIoAlloc&) const = default;
};

struct QemuIoCommandResult {
  QemuIoCommand command;
  bool ok = false;
  std::string error;                 // why it failed: qemu-io's own line(s)
  std::vector<std::string> output;   // the lines it printed, timing lines removed
  std::optional<std::uint64_t> bytes;  // "wrote/read/discard N/M bytes at offset O": N
  std::vector<QemuIoMapLine> map;    // Map
  std::optional<QemuIoAlloc> alloc;  // Alloc
};

struct QemuIoOutput {
  std::vector<QemuIoCommandResult> commands;  // one per command, in order
  std::vector<std::string> unexplained;       // stdout lines no command accounts for
};

// "64 KiB, 1 ops; 00.00 sec (51.442 MiB/sec and 823.0758 ops/sec)"
bool is_qemu_io_timing_line(std::string_view line);
std::optional<QemuIoMapLine> parse_qemu_io_map_line(std::string_view line);
std::optional<QemuIoAlloc> parse_qemu_io_alloc_line(std::string_view line);
// Every map line of a text (other lines ignored).
std::vector<QemuIoMapLine> parse_qemu_io_map(std::string_view text);

// Attribute stdout lines to `commands` in order; stderr supplies the reason for failures
// qemu-io reports there (map errors, commands that printed nothing).
QemuIoOutput parse_qemu_io_output(const std::vector<QemuIoCommand>& commands, std::string_view out,
                                  std::string_view err);

}  // namespace chaincheck::impl
