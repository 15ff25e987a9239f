#include "impl/transcript/qmp_commands.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

#include "impl/transcript/shell_words.hpp"

namespace chaincheck::impl {

namespace {

using nlohmann::json;

constexpr const char* kShellPrompt = "(QEMU)";
constexpr const char* kArrow = "-> ";
constexpr const char* kReplyArrow = "<- ";

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

std::string ltrim(const std::string& s) {
  auto a = s.find_first_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a);
}

[[noreturn]] void bad(int line, const std::string& what) { throw TranscriptError(line, what); }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// qmp-shell's build_exp: runs of non-blank, non-quote characters and quoted strings, the
// quotes kept in the token (qmp-shell does not remove them either).
std::vector<std::string> shell_tokens(const std::string& text, int line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_token = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t') {
      if (in_token) out.push_back(cur);
      cur.clear();
      in_token = false;
      continue;
    }
    in_token = true;
    if (c == '"' || c == '\'') {
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != c; ++j)
        if (text[j] == '\\' && j + 1 < text.size()) ++j;
      if (j >= text.size()) bad(line, "QMP: unterminated quote in '" + text + "'");
      cur += text.substr(i, j - i + 1);
      i = j;
      continue;
    }
    cur += c;
  }
  if (in_token) out.push_back(cur);
  return out;
}

// qmp-shell __parse_value: an integer, true/false (any case), JSON for {...} / [...],
// otherwise the text as a string. (qmp-shell falls back to a string for JSON it cannot
// read; a transcript line that starts a JSON value and is none is reported instead.)
json shell_value(const std::string& v, const std::string& key, int line) {
  std::size_t digits = v.size() > 0 && (v[0] == '-' || v[0] == '+') ? 1 : 0;
  bool integer = v.size() > digits && std::all_of(v.begin() + static_cast<long>(digits), v.end(),
                                                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (integer) {
    json n = json::parse(v[0] == '+' ? v.substr(1) : v, nullptr, false);
    if (!n.is_discarded()) return n;
  }
  std::string lower = v;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true") return true;
  if (lower == "false") return false;
  if (!v.empty() && (v[0] == '{' || v[0] == '[')) {
    json j = json::parse(v, nullptr, false);
    if (j.is_discarded()) bad(line, "QMP: the value of '" + key + "' is not valid JSON: " + v);
    return j;
  }
  return v;
}

// qmp-shell __cli_expr: dotted keys nest; a key set twice or used as leaf and branch fails.
json shell_arguments(const std::vector<std::string>& tokens, int line) {
  json args = json::object();
  for (const std::string& t : tokens) {
    auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) bad(line, "QMP: expected a key=value pair, got '" + t + "'");
    std::string key = t.substr(0, eq);
    json* at = &args;
    std::size_t from = 0;
    for (auto dot = key.find('.'); dot != std::string::npos; dot = key.find('.', from)) {
      std::string part = key.substr(from, dot - from);
      if (at->contains(part) && !(*at)[part].is_object())
        bad(line, "QMP: cannot use '" + key.substr(0, dot) + "' as both leaf and non-leaf key");
      if (!at->contains(part)) (*at)[part] = json::object();
      at = &(*at)[part];
      from = dot + 1;
    }
    std::string leaf = key.substr(from);
    if (at->contains(leaf)) bad(line, "QMP: cannot set '" + key + "' multiple times");
    (*at)[leaf] = shell_value(t.substr(eq + 1), key, line);
  }
  return args;
}

// Commands that would open a listening socket, a mount or a file descriptor outside the
// private workspace: the NBD server and the monitor belong on the daemon's command line.
void refuse_outside_workspace(const std::string& execute, const json& args, int line) {
  static const char* refused[] = {"nbd-server-start", "chardev-add", "chardev-change", "getfd", "add-fd",
                                  "migrate", "migrate-incoming"};
  for (const char* r : refused)
    if (execute == r)
      bad(line, "QMP command '" + execute +
                    "' is not run by chaincheck repro (it would listen or open files outside the private "
                    "workspace): give --nbd-server / --chardev on the qemu-storage-daemon line");
  if (execute == "block-export-add" && args.contains("type") && args["type"] != "nbd")
    bad(line, "QMP block-export-add: only type nbd (a " + dump(args["type"]) +
                  " export would listen or mount outside the private workspace)");
}

std::vector<std::pair<std::string, std::string>> option_pairs(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : split_option_list(text)) {
    auto eq = p.find('=');
    if (eq == std::string::npos) out.emplace_back(p, "");
    else out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return out;
}

}  // namespace

QmpLineKind classify_qmp_line(const std::string& t) {
  if (starts_with(t, kShellPrompt)) return ltrim(t.substr(6)).empty() ? QmpLineKind::Reply : QmpLineKind::Command;
  if (starts_with(t, kArrow)) return QmpLineKind::Command;
  if (starts_with(t, kReplyArrow)) return QmpLineKind::Reply;
  if (starts_with(t, "{"))
    return t.find("\"execute\"") != std::string::npos || t.find("\"exec-oob\"") != std::string::npos
               ? QmpLineKind::Command
               : QmpLineKind::Reply;
  // A pretty-printed command's "execute" member: a command, refused by parse_qmp_line.
  if (starts_with(t, "\"execute\"") || starts_with(t, "\"exec-oob\"")) return QmpLineKind::Command;
  if (starts_with(t, "}") || starts_with(t, "]") || starts_with(t, "\"")) return QmpLineKind::Reply;
  return QmpLineKind::NotQmp;
}

QmpCommand parse_qmp_line(const std::string& t, int line) {
  QmpCommand c;
  json args;
  if (starts_with(t, kShellPrompt)) {
    c.shell_form = true;
    auto tokens = shell_tokens(ltrim(t.substr(6)), line);
    if (tokens.empty()) bad(line, "QMP: empty (QEMU) line");
    c.execute = tokens[0];
    if (c.execute == "transaction")
      bad(line, "QMP: qmp-shell's transaction( ... ) syntax is not supported; write the transaction as JSON");
    args = shell_arguments({tokens.begin() + 1, tokens.end()}, line);
  } else if (starts_with(t, "\"")) {
    bad(line, "QMP: a JSON command split over several lines; write each command on one line");
  } else {
    std::string text = starts_with(t, kArrow) ? ltrim(t.substr(3)) : t;
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) bad(line, "QMP: not valid JSON: " + text);
    if (!j.is_object()) bad(line, "QMP: a command must be a JSON object: " + text);
    if (j.contains("exec-oob")) bad(line, "QMP: exec-oob is not supported (use execute)");
    auto e = j.find("execute");
    if (e == j.end() || !e->is_string() || e->get<std::string>().empty())
      bad(line, "QMP: the command has no \"execute\" string: " + text);
    for (const auto& [k, v] : j.items())
      if (k != "execute" && k != "arguments" && k != "id") bad(line, "QMP: unexpected member \"" + k + "\" in " + text);
    c.execute = e->get<std::string>();
    args = j.value("arguments", json::object());
    if (!args.is_object()) bad(line, "QMP: \"arguments\" must be an object: " + text);
  }
  refuse_outside_workspace(c.execute, args, line);
  c.arguments = dump(args);
  return c;
}

std::optional<std::string> qmp_monitor_socket(const std::vector<std::string>& chardevs,
                                              const std::vector<std::string>& monitors, int line) {
  if (chardevs.empty() && monitors.empty()) return std::nullopt;
  if (monitors.size() != 1 || chardevs.size() != 1)
    bad(line, "qemu-storage-daemon: a QMP monitor needs exactly one --chardev socket,... and one --monitor chardev=ID");
  std::string id, path;
  bool server = false, wait = true;
  auto pairs = option_pairs(chardevs[0]);
  if (pairs.empty() || pairs[0].first != "socket" || !pairs[0].second.empty())
    bad(line, "--chardev: only a socket chardev (socket,id=ID,path=PATH,server=on,wait=off)");
  for (std::size_t i = 1; i < pairs.size(); ++i) {
    const auto& [k, v] = pairs[i];
    if (k == "id") id = v;
    else if (k == "path") path = v;
    else if (k == "server") server = v.empty() || v == "on" || v == "yes" || v == "true";
    else if (k == "wait") wait = !(v == "off" || v == "no" || v == "false");
    else if (k == "nowait" && v.empty()) wait = false;
    else bad(line, "--chardev: option '" + k + "' is not supported (socket,id=ID,path=PATH,server=on,wait=off)");
  }
  if (id.empty() || path.empty()) bad(line, "--chardev needs id= and path= (a unix socket; never TCP)");
  if (!server || wait) bad(line, "--chardev: the QMP socket must be server=on,wait=off");
  std::string monitor_id;
  for (const auto& [k, v] : option_pairs(monitors[0])) {
    if (k == "chardev") monitor_id = v;
    else if (k == "mode") {
      if (v != "control") bad(line, "--monitor: only mode=control (QMP)");
    } else bad(line, "--monitor: option '" + k + "' is not supported (chardev=ID)");
  }
  if (monitor_id != id) bad(line, "--monitor chardev='" + monitor_id + "' names no --chardev (id '" + id + "')");
  return path;
}

std::string qmp_grammar() {
  return "      [--chardev socket,id=ID,path=QMP_SOCKET,server=on,wait=off --monitor chardev=ID]  (QMP monitor)\n"
         "  QMP commands after such a daemon, one per line, replies/events after them are the reporter's output:\n"
         "      (QEMU) COMMAND [KEY=VALUE]...      qmp-shell: dotted keys nest; VALUE: integer, true/false, {JSON}, [JSON], text\n"
         "      {\"execute\": COMMAND[, \"arguments\": {...}]}   raw JSON, optionally after '-> '\n"
         "      (one line per JSON command; a JSON line right after a (QEMU) line that repeats it is qmp-shell -v's echo)\n"
         "      block-stream / block-commit jobs run to their end; quit ends the daemon\n"
         "      (--nbd-server is required even without --export: the daemon is awaited by its NBD greeting)\n"
         "      (nbd-server-start, chardev-add and non-nbd block-export-add are refused)\n";
}

}  // namespace chaincheck::impl
