// QMP commands in a bug report's transcript, sent to the qemu-storage-daemon whose
// `--chardev socket,...,path=P --monitor chardev=ID` came before them. Two forms, as bug
// reports write them:
//   (QEMU) block-stream device=top job-id=j0          qmp-shell: key=value, typed as
//                                                      qmp-shell types them
//   {"execute": "query-block-jobs"}                    raw JSON (optionally after "-> ",
//   -> {"execute": "quit"}                             the QAPI documentation's arrow)
// Replies and events ("<- {...}", "{"return": ...}", pretty-printed '}' / '"' lines) are
// the reporter's output for the command before them.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace chaincheck::impl {

struct QmpCommand {
  std::string execute;    // the command's name
  std::string arguments;  // its arguments, a JSON object as text ("{}" when none)
  bool shell_form = false;  // written as a qmp-shell "(QEMU) " line
  int daemon_line = 0;      // the qemu-storage-daemon line whose monitor runs it
};

enum class QmpLineKind { NotQmp, Command, Reply };

// What a trimmed transcript line is: a QMP command, a QMP reply/event (output), or neither.
QmpLineKind classify_qmp_line(const std::string& trimmed);

// One command line (classify_qmp_line said Command). Throws TranscriptError naming `line`
// for bad JSON, a missing "execute", a qmp-shell token that is no key=value, or a command
// that would listen or mount outside the private workspace (nbd-server-start, chardev-add,
// block-export-add of a type other than nbd, ...).
QmpCommand parse_qmp_line(const std::string& trimmed, int line);

// qemu-storage-daemon's --chardev / --monitor values: the QMP socket path as written, or
// nullopt when neither is given. Only `socket,id=ID,path=PATH,server=on,wait=off` chardevs
// (legacy `server`, `nowait` flags accepted) and `chardev=ID[,mode=control]` monitors.
std::optional<std::string> qmp_monitor_socket(const std::vector<std::string>& chardevs,
                                              const std::vector<std::string>& monitors, int line);

// The grammar lines for supported_grammar().
std::string qmp_grammar();

}  // namespace chaincheck::impl
