#include "impl/qemu_tools/qemu_io.hpp"

namespace chaincheck::impl {
namespace {

using Kind = QemuIoCommand::Kind;

QemuIoCommand io(Kind kind, std::uint64_t offset, std::uint64_t length) {
  QemuIoCommand c;
  c.kind = kind;
  c.offset = offset;
  c.length = length;
  return c;
}

}  // namespace

bool QemuIoResult::ok() const {
  if (!run.ok() || !unexplained.empty()) return false;
  for (const auto& c : commands)
    if (!c.ok) return false;
  return true;
}

std::string QemuIoResult::first_error() const {
  for (const auto& c : commands)
    if (!c.ok) return c.command.text() + ": " + c.error;
  if (!unexplained.empty()) return "unexplained qemu-io output: " + unexplained.front();
  if (!run.ok()) return run.describe();
  return "";
}

QemuIoScript::QemuIoScript(ImageRef image) : image_(std::move(image)) {}

QemuIoScript& QemuIoScript::write(std::uint64_t offset, std::uint64_t length, std::uint8_t pattern) {
  QemuIoCommand c = io(Kind::Write, offset, length);
  c.pattern = pattern;
  return add(c);
}

QemuIoScript& QemuIoScript::write_zeroes(std::uint64_t offset, std::uint64_t length, bool unmap) {
  QemuIoCommand c = io(Kind::WriteZeroes, offset, length);
  c.unmap = unmap;
  return add(c);
}

QemuIoScript& QemuIoScript::write_compressed(std::uint64_t offset, std::uint64_t length,
                                             std::optional<std::uint8_t> pattern) {
  QemuIoCommand c = io(Kind::WriteCompressed, offset, length);
  c.pattern = pattern;
  return add(c);
}

QemuIoScript& QemuIoScript::discard(std::uint64_t offset, std::uint64_t length) {
  return add(io(Kind::Discard, offset, length));
}

QemuIoScript& QemuIoScript::read(std::uint64_t offset, std::uint64_t length,
                                 std::optional<std::uint8_t> expected) {
  QemuIoCommand c = io(Kind::Read, offset, length);
  c.pattern = expected;
  return add(c);
}

QemuIoScript& QemuIoScript::map() { return add(io(Kind::Map, 0, 0)); }

QemuIoScript& QemuIoScript::alloc(std::uint64_t offset, std::optional<std::uint64_t> count) {
  QemuIoCommand c = io(Kind::Alloc, offset, 0);
  c.count = count;
  return add(c);
}

QemuIoScript& QemuIoScript::add(const QemuIoCommand& command) {
  if (command.unmap && command.kind != Kind::WriteZeroes) throw ToolError("-u only goes with write -z");
  if (command.pattern && command.kind != Kind::Write && command.kind != Kind::WriteCompressed &&
      command.kind != Kind::Read)
    throw ToolError("a pattern only goes with write and read: " + command.text());
  commands_.push_back(command);
  return *this;
}

QemuIoScript& QemuIoScript::read_only(bool on) {
  read_only_ = on;
  return *this;
}

QemuIoScript& QemuIoScript::force_share(bool on) {
  force_share_ = on;
  return *this;
}

QemuIoScript& QemuIoScript::cache(std::string mode) {
  cache_ = std::move(mode);
  return *this;
}

std::vector<std::string> QemuIoScript::argv() const {
  std::vector<std::string> argv = {"qemu-io"};
  for (const auto& a : image_.option_args()) argv.push_back(a);
  if (read_only_) argv.push_back("-r");
  if (force_share_) argv.push_back("-U");
  if (!cache_.empty()) argv.insert(argv.end(), {"-t", cache_});
  for (const auto& c : commands_) {
    argv.push_back("-c");
    argv.push_back(c.text());
  }
  argv.push_back(image_.positional());
  return argv;
}

QemuIoResult QemuIoScript::run(const std::filesystem::path& workdir, std::chrono::milliseconds timeout) const {
  RunOptions opts;
  opts.cwd = workdir;
  opts.timeout = timeout;
  QemuIoResult result;
  result.run = run_program(argv(), opts);
  const RunResult& r = result.run;
  if (r.timed_out || r.term_signal != 0) throw ToolError(r.describe());
  // Nothing ran at all: the image could not be opened.
  if (r.exit_code != 0 && r.out.empty() && r.err.find("qemu-io: can't open") != std::string::npos)
    throw ToolError(r.describe());
  QemuIoOutput parsed = parse_qemu_io_output(commands_, r.out, r.err);
  result.commands = std::move(parsed.commands);
  result.unexplained = std::move(parsed.unexplained);
  return result;
}

}  // namespace chaincheck::impl
