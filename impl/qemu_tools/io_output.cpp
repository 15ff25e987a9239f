#include "impl/qemu_tools/io_output.hpp"

#include <charconv>
#include <ostream>

#include "impl/process/process.hpp"

namespace chaincheck::impl {
namespace {

using Kind = QemuIoCommand::Kind;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The whole of `s` as a number in `base`; nothing else allowed.
std::optional<std::uint64_t> whole_number(std::string_view s, int base) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "N/M" at the start of `s`, followed by `rest`.
bool split_fraction(std::string_view s, std::string_view rest_prefix, std::uint64_t& n, std::uint64_t& m,
                    std::string_view& rest) {
  auto slash = s.find('/');
  auto space = s.find(' ');
  if (slash == std::string_view::npos || space == std::string_view::npos || slash > space) return false;
  auto a = whole_number(s.substr(0, slash), 10);
  auto b = whole_number(s.substr(slash + 1, space - slash - 1), 10);
  if (!a || !b) return false;
  rest = s.substr(space);
  if (!starts_with(rest, rest_prefix)) return false;
  rest.remove_prefix(rest_prefix.size());
  n = *a;
  m = *b;
  return true;
}

// "wrote 65536/65536 bytes at offset 0" (print_report in qemu-io-cmds.c).
struct Done {
  std::string_view op;
  std::uint64_t total = 0, count = 0, offset = 0;
};
std::optional<Done> parse_done_line(std::string_view line) {
  for (std::string_view op : {"wrote", "read", "discard"}) {
    if (!starts_with(line, op) || line.size() <= op.size() || line[op.size()] != ' ') continue;
    Done d;
    d.op = op;
    std::string_view rest;
    if (!split_fraction(line.substr(op.size() + 1), " bytes at offset ", d.total, d.count, rest)) return std::nullopt;
    auto off = whole_number(rest, 10);
    if (!off) return std::nullopt;
    d.offset = *off;
    return d;
  }
  return std::nullopt;
}

std::string_view done_op(Kind k) {
  switch (k) {
    case Kind::Write:
    case Kind::WriteZeroes:
    case Kind::WriteCompressed:
      return "wrote";
    case Kind::Discard:
      return "discard";
    case Kind::Read:
      return "read";
    default:
      return "";
  }
}

// A line that is some command's normal result: never consumed as another's error.
bool is_result_line(std::string_view line) {
  return parse_done_line(line) || parse_qemu_io_map_line(line) || parse_qemu_io_alloc_line(line);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string first_line_of(std::string_view text) {
  for (auto line : split_lines(text))
    if (!line.empty()) return std::string(line);
  return "";
}

// qemu-io's map reports its errors through error_report(), i.e. on stderr.
std::string map_error_in(std::string_view err) {
  for (auto line : split_lines(err)) {
    for (std::string_view marker : {"Failed to query image length", "Failed to get allocation status",
                                    "Unexpected end of image"}) {
      if (line.find(marker) != std::string_view::npos) return std::string(line);
    }
  }
  return "";
}

// Errors some commands print only on stderr ("qemu-io: Block node is read-only"), handed
// out in order to the commands that printed nothing on stdout.
class StderrReasons {
 public:
  explicit StderrReasons(std::string_view err) : first_(first_line_of(err)) {
    for (auto line : split_lines(err))
      if (!line.empty() && map_error_in(line).empty()) lines_.emplace_back(line);
  }
  std::string next() {
    if (next_ < lines_.size()) return lines_[next_++];
    // Ran out (one "can't open" silences every command): repeat the first reason.
    return first_.empty() ? "qemu-io printed no result for it" : first_;
  }

 private:
  std::vector<std::string> lines_;
  size_t next_ = 0;
  std::string first_;
};

}  // namespace

std::string QemuIoCommand::text() const {
  const std::string range = std::to_string(offset) + " " + std::to_string(length);
  const std::string p = pattern ? "-P " + std::to_string(*pattern) + " " : "";
  switch (kind) {
    case Kind::Write:
      return "write " + p + range;
    case Kind::WriteZeroes:
      return std::string("write -z ") + (unmap ? "-u " : "") + range;
    case Kind::WriteCompressed:
      return "write -c " + p + range;
    case Kind::Discard:
      return "discard " + range;
    case Kind::Read:
      return "read " + p + range;
    case Kind::Map:
      return "map";
    case Kind::Alloc:
      return "alloc " + std::to_string(offset) + (count ? " " + std::to_string(*count) : "");
  }
  return "";
}

std::ostream& operator<<(std::ostream& os, const QemuIoMapLine& l) {
  return os << "{start " << l.start << ", length " << l.length << (l.allocated ? ", allocated}" : ", not allocated}");
}

bool is_qemu_io_timing_line(std::string_view line) {
  return line.find(" ops; ") != std::string_view::npos && line.size() >= 9 &&
         line.substr(line.size() - 9) == " ops/sec)";
}

std::optional<QemuIoMapLine> parse_qemu_io_map_line(std::string_view line) {
  // "%s (0x%lx) bytes %s at offset %s (0x%lx)" with %s = "    allocated" | "not allocated"
  auto open1 = line.find(" (0x");
  if (open1 == std::string_view::npos) return std::nullopt;
  auto close1 = line.find(')', open1);
  if (close1 == std::string_view::npos) return std::nullopt;
  auto length = whole_number(line.substr(open1 + 4, close1 - open1 - 4), 16);
  std::string_view rest = line.substr(close1 + 1);
  QemuIoMapLine m;
  if (starts_with(rest, " bytes     allocated at offset ")) {
    m.allocated = true;
    rest.remove_prefix(std::string_view(" bytes     allocated at offset ").size());
  } else if (starts_with(rest, " bytes not allocated at offset ")) {
    rest.remove_prefix(std::string_view(" bytes not allocated at offset ").size());
  } else {
    return std::nullopt;
  }
  auto open2 = rest.rfind(" (0x");
  if (open2 == std::string_view::npos || rest.back() != ')') return std::nullopt;
  auto start = whole_number(rest.substr(open2 + 4, rest.size() - open2 - 5), 16);
  if (!length || !start) return std::nullopt;
  m.start = *start;
  m.length = *length;
  return m;
}

std::optional<QemuIoAlloc> parse_qemu_io_alloc_line(std::string_view line) {
  QemuIoAlloc a;
  std::string_view rest;
  if (!split_fraction(line, " bytes allocated at offset ", a.allocated, a.count, rest)) return std::nullopt;
  if (rest.empty()) return std::nullopt;
  a.offset_text = std::string(rest);
  return a;
}

std::vector<QemuIoMapLine> parse_qemu_io_map(std::string_view text) {
  std::vector<QemuIoMapLine> out;
  for (auto line : split_lines(text))
    if (auto m = parse_qemu_io_map_line(line)) out.push_back(*m);
  return out;
}

QemuIoOutput parse_qemu_io_output(const std::vector<QemuIoCommand>& commands, std::string_view out,
                                  std::string_view err) {
  std::vector<std::string_view> lines;
  for (auto line : split_lines(out))
    if (!is_qemu_io_timing_line(line)) lines.push_back(line);

  const std::string map_error = map_error_in(err);
  StderrReasons reasons(err);
  QemuIoOutput result;
  size_t i = 0;
  auto take = [&](QemuIoCommandResult& r) { r.output.emplace_back(lines[i++]); };

  for (const QemuIoCommand& cmd : commands) {
    QemuIoCommandResult r;
    r.command = cmd;
    switch (cmd.kind) {
      case Kind::Map: {
        while (i < lines.size()) {
          auto m = parse_qemu_io_map_line(lines[i]);
          if (!m) break;
          r.map.push_back(*m);
          take(r);
        }
        // Which map failed cannot be told from stderr: with an error, none is trusted.
        r.ok = map_error.empty();
        r.error = map_error;
        break;
      }
      case Kind::Alloc: {
        if (i < lines.size() && (r.alloc = parse_qemu_io_alloc_line(lines[i]))) {
          r.ok = true;
          take(r);
        } else if (i < lines.size() && !is_result_line(lines[i])) {
          r.error = std::string(lines[i]);  // "is_allocated failed: ..."
          take(r);
        } else {
          r.error = reasons.next();
        }
        break;
      }
      default: {
        // Write, WriteZeroes, WriteCompressed, Discard, Read.
        std::string pattern_failures;
        while (cmd.kind == Kind::Read && i < lines.size() &&
               starts_with(lines[i], "Pattern verification failed at offset ")) {
          pattern_failures += (pattern_failures.empty() ? "" : "; ") + std::string(lines[i]);
          take(r);
        }
        std::optional<Done> done = i < lines.size() ? parse_done_line(lines[i]) : std::nullopt;
        if (done && done->op == done_op(cmd.kind) && done->offset == cmd.offset) {
          r.bytes = done->total;
          take(r);
          r.ok = pattern_failures.empty() && done->total == done->count;
          r.error = !pattern_failures.empty() ? pattern_failures
                    : r.ok                    ? ""
                                              : "short " + std::string(done->op) + ": " + r.output.back();
        } else if (!pattern_failures.empty()) {
          r.error = pattern_failures;
        } else if (i < lines.size() && !is_result_line(lines[i])) {
          r.error = std::string(lines[i]);  // "write failed: ...", "Parsing error: ..."
          take(r);
        } else {
          r.error = reasons.next();
        }
        break;
      }
    }
    result.commands.push_back(std::move(r));
  }
  for (; i < lines.size(); ++i)
    if (!lines[i].empty()) result.unexplained.emplace_back(lines[i]);
  return result;
}

}  // namespace chaincheck::impl
