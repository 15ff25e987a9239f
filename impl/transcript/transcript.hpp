// A bug report's shell transcript, read into typed commands (chaincheck repro).
// Grammar: see supported_grammar().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "impl/transcript/chain_commands.hpp"
#include "impl/transcript/nbdkit_command.hpp"
#include "impl/transcript/qmp_commands.hpp"
#include "impl/transcript/shell_words.hpp"

namespace chaincheck::impl {

// How a command names its image: a filename (with -f), a json: pseudo-filename, or
// --image-opts key=value options (turned into the same JSON tree).
struct ImageArg {
  std::string text;                  // as written
  std::optional<std::string> format; // -f
  bool structured = false;           // json: or --image-opts
  std::string json;                  // the structured options as JSON text (when structured)
  std::vector<std::string> objects;  // --object (e.g. throttle-group,id=tg0)
};

struct QemuImgCreate {
  std::string file;
  std::string format = "raw";
  std::optional<std::uint64_t> size;
  std::optional<std::string> backing;
  std::optional<std::string> backing_format;
  std::map<std::string, std::string> options;  // -o key=value
};
struct QemuImgMap {
  ImageArg image;
  bool json_output = false;
  std::optional<std::uint64_t> start, max_length;
};
// info, compare, and commit / rebase / convert with options the model does not follow:
// run as written, not modelled. Other commits, rebases, converts: QemuImgChainOp.
struct QemuImgOther {
  std::string subcommand;
};

struct IoCommand {
  enum class Kind { Write, WriteZeroes, WriteCompressed, Discard, Read, Map, Alloc } kind = Kind::Write;
  std::uint64_t offset = 0, length = 0;
  std::optional<std::uint8_t> pattern;
  bool unmap = false;        // write -z -u
  std::string text;          // as written
};
struct QemuIo {
  ImageArg image;
  bool read_only = false;
  std::vector<IoCommand> commands;
};

struct QemuNbd {
  ImageArg image;
  bool read_only = false, persistent = false, allocation_depth = false, snapshot = false;
  std::vector<std::string> bitmaps;
  std::optional<std::string> socket;       // -k as written (rewritten into the workspace)
  std::optional<std::string> export_name;  // -x
  std::string discard = "ignore";
  bool background = false;
};

struct NbdInfo {
  std::optional<std::string> map;  // --map[=CONTEXT]; "" = base:allocation
  bool json_output = false;
  std::string uri;
};

struct Truncate {
  std::string file;
  std::uint64_t size = 0;
};

// qemu-storage-daemon with its graph and exports on the command line, optionally a QMP monitor:
// --blockdev per node (JSON or key=value, kept as JSON text), --object, one
// --nbd-server addr.type=unix,addr.path=PATH, --export type=nbd,... per export.
struct StorageDaemonRun {
  std::vector<std::string> blockdevs;  // each node's options as JSON text (for the model)
  std::vector<std::string> blockdev_args;  // as written (key=value keeps QEMU's own typing)
  std::vector<std::string> objects;    // --object
  std::string socket;                  // addr.path as written (rewritten into the workspace)
  struct Export {
    std::string id, node, name;
    bool writable = false, allocation_depth = false;
    std::vector<std::string> bitmaps;  // bitmaps.0=NAME, bitmaps.1=... (qemu:dirty-bitmap:NAME)
  };
  std::vector<Export> exports;
  bool background = false;
  // --chardev socket,...,path=P --monitor chardev=ID: P as written (rewritten into the
  // workspace); QmpCommand lines after it talk to this daemon (impl/transcript/qmp_commands.hpp).
  std::optional<std::string> qmp_socket;
};

// qemu-img bitmap: the actions in command-line order on one bitmap of one image.
struct QemuImgBitmap {
  std::string file;
  std::optional<std::string> format;                       // -f
  std::string bitmap;
  std::vector<std::pair<std::string, std::string>> actions; // {add|remove|clear|enable|disable|merge, merge source}
  std::optional<std::uint64_t> granularity;                // -g / --granularity
  std::optional<std::string> source_file, source_format;   // -b / -F (with --merge)
};

using Command = std::variant<QemuImgCreate, QemuImgMap, QemuImgOther, QemuIo, QemuNbd, NbdInfo, Truncate,
                             QemuImgChainOp, StorageDaemonRun, QemuImgBitmap, NbdkitRun, QmpCommand>;

struct TranscriptCommand {
  int line = 0;                          // first line of the command in the file
  std::string text;                      // joined command text
  std::vector<std::string> argv;         // after quote removal
  Command command;
  std::vector<std::string> reported;     // the reporter's output lines that followed it
};

// Read a whole transcript; throws TranscriptError naming the line.
std::vector<TranscriptCommand> parse_transcript(const std::string& text);

// The grammar, for error messages and --help.
std::string supported_grammar();

}  // namespace chaincheck::impl
