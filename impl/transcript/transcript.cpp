#include "impl/transcript/transcript.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace chaincheck::impl {

std::string supported_grammar() {
  return "supported commands (one per line, optional '$ ' prompts, '\\' continuations, '#' comments):\n"
         "  qemu-img create [-q] [-f FMT] [-b BACKING] [-F FMT] [-o K=V,...] FILE [SIZE]\n"
         "  qemu-img map [--output=json|human] [-f FMT | --image-opts] [--start-offset N] [--max-length N] FILE|json:{...}\n"
         "  qemu-img commit [-q] [-f FMT] [-b BASE] [-d] FILE\n"
         "  qemu-img rebase [-q] [-f FMT] [-u] -b BACKING [-F FMT] FILE\n"
         "  qemu-img convert [-q] [-f FMT] [-O FMT] [-o cluster_size=N] [-B BACKING -F FMT] [-n [--target-is-zero]] SRC DST\n"
         "  qemu-img bitmap [--add|--remove|--clear|--enable|--disable|--merge SRC]... [-g G] [-b SRCFILE [-F FMT]] [-f FMT] FILE NAME\n"
         "  qemu-img info|compare ..., and commit|rebase|convert with other options   (run, not modelled)\n"
         "  qemu-io [-r] [--object OBJ] [-f FMT | --image-opts] [-c CMD]... FILE|json:{...}\n"
         "      CMD: write|w [-P PAT] [-z [-u]] [-c] OFF LEN; discard|d OFF LEN; read|r [-P PAT] OFF LEN; map; alloc OFF [LEN]\n"
         "  qemu-nbd [-r] [-t] [-A] [-s] [-B NAME] [-k SOCKET] [-x NAME] [-f FMT | --image-opts] [--discard=MODE] FILE|json:{...} [&]\n"
         "  qemu-storage-daemon [--object OBJ]... --blockdev JSON|K=V,... ... --nbd-server addr.type=unix,addr.path=SOCKET\n"
         "      --export type=nbd,id=ID,node-name=NODE[,name=NAME][,writable=on|off][,allocation-depth=on|off]... [&]\n"
         "  nbdkit [-U SOCKET] [-r] [-f] [--exit-with-parent] [--filter=blocksize|blocksize-policy] file [file=]FILE [minblock=N ...] [&]\n"
         "  nbdkit [-U SOCKET] [-r] [-f] [--filter=blocksize|blocksize-policy] nbd socket=QEMU_NBD_SOCKET [export=NAME]\n"
         "      [minblock=N] [maxdata=N] [maxlen=N] [blocksize-minimum=N ...] [&]   (socket= of an earlier qemu-nbd -k / QSD line)\n" +
         qmp_grammar() +
         "  nbdinfo [--map[=CONTEXT]] [--json] nbd://localhost[/NAME] | nbd+unix:///[NAME]?socket=PATH\n"
         "  truncate -s SIZE FILE\n"
         "  SIZE: 65536, 64k, 1M, $((4*64*1024))";
}

namespace {

struct RawCommand {
  int line;
  std::string text;
  std::vector<std::string> reported;
  bool qmp = false;  // a QMP command line (qmp_commands.hpp), not a shell command
};

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

std::string trim(const std::string& s) {
  auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  auto b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

std::vector<RawCommand> split_commands(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  bool prompted = false;
  for (const auto& l : lines) prompted = prompted || starts_with(trim(l), "$ ");
  std::vector<RawCommand> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string t = trim(lines[i]);
    int number = static_cast<int>(i + 1);
    // QMP lines: commands with or without '$ ' prompts; replies are output either way.
    QmpLineKind qmp = classify_qmp_line(t);
    if (qmp == QmpLineKind::Command) {
      out.push_back({number, t, {}, true});
      continue;
    }
    if (qmp == QmpLineKind::Reply) {
      if (!out.empty()) out.back().reported.push_back(lines[i]);
      continue;
    }
    bool is_command;
    if (prompted) {
      is_command = starts_with(t, "$ ");
      if (is_command) t = trim(t.substr(2));
    } else {
      is_command = !t.empty() && t[0] != '#';
    }
    if (!is_command) {
      // With prompts, other lines are the reporter's output for the previous command.
      if (prompted && !out.empty() && !t.empty() && t[0] != '#') out.back().reported.push_back(lines[i]);
      continue;
    }
    if (!prompted && t[0] == '#') continue;
    std::string joined = t;
    while (!joined.empty() && joined.back() == '\\') {
      joined.pop_back();
      if (i + 1 >= lines.size()) throw TranscriptError(number, "'\\' continuation at the end of the transcript");
      std::string next = trim(lines[++i]);
      if (prompted && starts_with(next, "> ")) next = trim(next.substr(2));
      joined += next;
    }
    out.push_back({number, joined, {}});
  }
  return out;
}

[[noreturn]] void bad(int line, const std::string& what) { throw TranscriptError(line, what); }

std::uint64_t size_arg(const std::string& w, int line, const char* what) {
  auto v = transcript_size(w);
  if (!v) bad(line, std::string(what) + " '" + w + "' is not a size (e.g. 65536, 64k, 1M, $((4*64*1024)))");
  return *v;
}

// --image-opts "driver=qcow2,file.driver=file,file.filename=x" -> {"driver":"qcow2","file":{...}}
std::string image_opts_json(const std::string& text, int line) {
  nlohmann::json j = nlohmann::json::object();
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string kv = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    if (eq == std::string::npos) bad(line, "--image-opts item '" + kv + "' has no '='");
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    nlohmann::json* node = &j;
    std::size_t kp = 0;
    for (;;) {
      auto dot = key.find('.', kp);
      std::string part = key.substr(kp, dot == std::string::npos ? std::string::npos : dot - kp);
      if (dot == std::string::npos) {
        (*node)[part] = value;
        break;
      }
      if (!(*node)[part].is_object()) (*node)[part] = nlohmann::json::object();
      node = &(*node)[part];
      kp = dot + 1;
    }
  }
  // Transcripts may hold any bytes: never let invalid UTF-8 escape as an exception.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ImageArg image_arg(const std::string& word, std::optional<std::string> format, bool image_opts, int line) {
  ImageArg a;
  a.text = word;
  a.format = std::move(format);
  if (image_opts) {
    a.structured = true;
    a.json = image_opts_json(word, line);
  } else if (starts_with(word, "json:")) {
    a.structured = true;
    try {
      a.json = nlohmann::json::parse(word.substr(5)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } catch (const nlohmann::json::parse_error& e) {
      bad(line, std::string("invalid json: filename (") + e.what() + ")");
    }
  }
  return a;
}

std::map<std::string, std::string> parse_o(const std::string& text) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string kv = text.substr(pos, comma - pos);
    auto eq = kv.find('=');
    if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
    else if (!kv.empty()) out[kv] = "on";
    pos = comma + 1;
  }
  return out;
}

// Options parser for one program: flags that take a value and ones that do not.
struct Opts {
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
  bool has(const std::string& k) const { return values.count(k) > 0; }
  std::optional<std::string> get(const std::string& k) const {
    auto it = values.find(k);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
};

Opts parse_opts(const std::vector<std::string>& argv, std::size_t first, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags, int line, const std::string& prog) {
  Opts o;
  for (std::size_t i = first; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 1 && a[0] == '-') {
      std::string key = a, value;
      auto eq = a.find('=');
      bool inline_value = starts_with(a, "--") && eq != std::string::npos;
      if (inline_value) {
        key = a.substr(0, eq);
        value = a.substr(eq + 1);
      }
      bool takes = std::find(with_value.begin(), with_value.end(), key) != with_value.end();
      bool flag = std::find(flags.begin(), flags.end(), key) != flags.end();
      if (takes) {
        if (!inline_value) {
          if (i + 1 >= argv.size()) bad(line, prog + ": option " + key + " needs a value");
          value = argv[++i];
        }
        o.values[key].push_back(value);
      } else if (flag) {
        o.values[key].push_back(inline_value ? value : "");
      } else {
        bad(line, prog + ": option '" + a + "' is not supported\n" + supported_grammar());
      }
    } else {
      o.positional.push_back(a);
    }
  }
  return o;
}

IoCommand parse_io_command(const std::string& text, int line) {
  Words w = split_words(text, line);
  if (w.words.empty()) bad(line, "empty qemu-io -c command");
  IoCommand c;
  c.text = text;
  const std::string& verb = w.words[0];
  std::vector<std::string> args;
  bool z = false, u = false, comp = false;
  std::optional<std::string> pat;
  for (std::size_t i = 1; i < w.words.size(); ++i) {
    const std::string& a = w.words[i];
    if (a == "-P") {
      if (i + 1 >= w.words.size()) bad(line, "qemu-io: -P needs a pattern");
      pat = w.words[++i];
    } else if (a == "-z") z = true;
    else if (a == "-u") u = true;
    else if (a == "-c") comp = true;
    else if (a == "-q" || a == "-f" || a == "-n") {}
    else if (a.size() > 1 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1]))) bad(line, "qemu-io " + verb + ": option '" + a + "' is not supported");
    else args.push_back(a);
  }
  auto need = [&](std::size_t n) {
    if (args.size() < n) bad(line, "qemu-io '" + text + "': expected " + std::to_string(n) + " arguments");
  };
  if (pat) {
    auto v = transcript_size(*pat);
    if (!v || *v > 255) bad(line, "qemu-io: pattern '" + *pat + "' is not a byte");
    c.pattern = static_cast<std::uint8_t>(*v);
  }
  if (verb == "write" || verb == "w") {
    need(2);
    c.kind = z ? IoCommand::Kind::WriteZeroes : comp ? IoCommand::Kind::WriteCompressed : IoCommand::Kind::Write;
    if (u && !z) bad(line, "qemu-io write: -u needs -z");
    c.unmap = u;
    if (!z && !c.pattern) c.pattern = 0xcd;  // qemu-io's default pattern
  } else if (verb == "discard" || verb == "d") {
    need(2);
    c.kind = IoCommand::Kind::Discard;
  } else if (verb == "read" || verb == "r") {
    need(2);
    c.kind = IoCommand::Kind::Read;
  } else if (verb == "map") {
    c.kind = IoCommand::Kind::Map;
    return c;
  } else if (verb == "alloc") {
    need(1);
    c.kind = IoCommand::Kind::Alloc;
    c.offset = size_arg(args[0], line, "offset");
    c.length = args.size() > 1 ? size_arg(args[1], line, "length") : 512;
    return c;
  } else {
    bad(line, "qemu-io command '" + verb + "' is not supported\n" + supported_grammar());
  }
  c.offset = size_arg(args[0], line, "offset");
  c.length = size_arg(args[1], line, "length");
  return c;
}

// QEMU's key=value syntax (keyval.c): ',,' is a literal comma, dotted keys nest.
std::vector<std::pair<std::string, std::string>> keyval_pairs(const std::string& text, int line, const std::string& what) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : split_option_list(text)) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) bad(line, what + ": '" + p + "' is not key=value");
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return out;
}

std::string blockdev_json(const std::string& text, int line) {
  if (!text.empty() && text[0] == '{') {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) bad(line, "--blockdev: invalid JSON");
    return j.dump();
  }
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : keyval_pairs(text, line, "--blockdev")) {
    nlohmann::json* at = &j;
    std::size_t from = 0;
    for (auto dot = k.find('.'); dot != std::string::npos; dot = k.find('.', from)) {
      at = &(*at)[k.substr(from, dot - from)];
      if (!at->is_object() && !at->is_null()) bad(line, "--blockdev: '" + k + "' conflicts with another key");
      from = dot + 1;
    }
    std::string leaf = k.substr(from);
    if (at->contains(leaf)) bad(line, "--blockdev: '" + k + "' given twice or conflicts with another key");
    // BlockdevRefOrNull: an empty backing means none.
    if (leaf == "backing" && v.empty()) (*at)[leaf] = nullptr;
    else (*at)[leaf] = v;
  }
  // Transcripts may hold any bytes: never let invalid UTF-8 escape as an exception.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool on_off(const std::string& v, int line, const std::string& key) {
  if (v == "on" || v == "true" || v == "yes") return true;
  if (v == "off" || v == "false" || v == "no") return false;
  bad(line, "--export: " + key + " must be on or off, not '" + v + "'");
}

Command parse_storage_daemon(const std::vector<std::string>& argv, bool background, int line) {
  Opts o = parse_opts(argv, 1, {"--blockdev", "--object", "--nbd-server", "--export", "--chardev", "--monitor"}, {},
                      line, "qemu-storage-daemon");
  if (!o.positional.empty()) bad(line, "qemu-storage-daemon: unexpected argument '" + o.positional[0] + "'");
  StorageDaemonRun d;
  d.background = background;
  for (const auto& b : o.values["--blockdev"]) {
    d.blockdevs.push_back(blockdev_json(b, line));
    d.blockdev_args.push_back(b);
  }
  d.objects = o.values["--object"];
  if (o.values["--nbd-server"].size() != 1) bad(line, "qemu-storage-daemon needs exactly one --nbd-server");
  for (const auto& [k, v] : keyval_pairs(o.values["--nbd-server"][0], line, "--nbd-server")) {
    if (k == "addr.type" && v != "unix") bad(line, "--nbd-server: only addr.type=unix (never TCP)");
    else if (k == "addr.path") d.socket = v;
    else if (k != "addr.type") bad(line, "--nbd-server: option '" + k + "' is not supported");
  }
  if (d.socket.empty()) bad(line, "--nbd-server needs addr.type=unix,addr.path=SOCKET");
  for (const auto& e : o.values["--export"]) {
    StorageDaemonRun::Export x;
    for (const auto& [k, v] : keyval_pairs(e, line, "--export")) {
      if (k == "type") {
        if (v != "nbd") bad(line, "--export: only type=nbd");
      } else if (k == "id") x.id = v;
      else if (k == "node-name") x.node = v;
      else if (k == "name") x.name = v;
      else if (k == "writable") x.writable = on_off(v, line, k);
      else if (k == "allocation-depth") x.allocation_depth = on_off(v, line, k);
      else if (k == "bitmaps." + std::to_string(x.bitmaps.size())) x.bitmaps.push_back(v);  // keyval list, in order
      else bad(line, "--export: option '" + k + "' is not supported");
    }
    if (x.id.empty() || x.node.empty()) bad(line, "--export needs id= and node-name=");
    if (x.name.empty()) x.name = x.node;  // block-export-add: the name defaults to the node name
    d.exports.push_back(x);
  }
  d.qmp_socket = qmp_monitor_socket(o.values["--chardev"], o.values["--monitor"], line);
  // With a QMP monitor the exports may come later (block-export-add).
  if (d.exports.empty() && !d.qmp_socket) bad(line, "qemu-storage-daemon needs at least one --export");
  return d;
}

// qemu-img bitmap keeps its actions in command-line order (img_bitmap's action list), so
// it is read here option by option rather than with parse_opts.
QemuImgBitmap parse_img_bitmap(const std::vector<std::string>& argv, int line) {
  QemuImgBitmap b;
  std::vector<std::string> positional;
  for (std::size_t i = 2; i < argv.size(); ++i) {
    std::string a = argv[i], value;
    bool inline_value = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      inline_value = true;
    }
    auto take = [&]() -> std::string {
      if (inline_value) return value;
      if (i + 1 >= argv.size()) bad(line, "qemu-img bitmap: option " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--add" || a == "--remove" || a == "--clear" || a == "--enable" || a == "--disable") {
      b.actions.push_back({a.substr(2), ""});
    } else if (a == "--merge") {
      b.actions.push_back({"merge", take()});
    } else if (a == "-g" || a == "--granularity") {
      b.granularity = size_arg(take(), line, "granularity");
    } else if (a == "-b" || a == "--source-file") {
      b.source_file = take();
    } else if (a == "-F" || a == "--source-format") {
      b.source_format = take();
    } else if (a == "-f") {
      b.format = take();
    } else if (a.size() > 1 && a[0] == '-') {
      bad(line, "qemu-img bitmap: option '" + a + "' is not supported\n" + supported_grammar());
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) bad(line, "qemu-img bitmap needs an image and a bitmap name");
  b.file = positional[0];
  b.bitmap = positional[1];
  return b;
}

Command parse_command(const std::vector<std::string>& argv, bool background, int line) {
  const std::string& prog = argv[0];
  if (background && prog != "qemu-nbd" && prog != "qemu-storage-daemon" && prog != "nbdkit")
    bad(line, "only qemu-nbd, qemu-storage-daemon and nbdkit may run in the background ('&')");
  if (prog == "qemu-img") {
    if (argv.size() < 2) bad(line, "qemu-img needs a subcommand");
    const std::string& sub = argv[1];
    if (sub == "create") {
      Opts o = parse_opts(argv, 2, {"-f", "-b", "-F", "-o"}, {"-q", "-u"}, line, "qemu-img create");
      QemuImgCreate c;
      if (o.positional.empty()) bad(line, "qemu-img create needs a file name");
      c.file = o.positional[0];
      if (o.positional.size() > 1) c.size = size_arg(o.positional[1], line, "size");
      if (o.positional.size() > 2) bad(line, "qemu-img create: unexpected argument '" + o.positional[2] + "'");
      if (auto f = o.get("-f")) c.format = *f;
      c.backing = o.get("-b");
      c.backing_format = o.get("-F");
      for (const auto& v : o.values["-o"])
        for (auto& [k, val] : parse_o(v)) c.options[k] = val;
      if (c.options.count("backing_file")) c.backing = c.options["backing_file"];
      if (c.options.count("backing_fmt")) c.backing_format = c.options["backing_fmt"];
      if (c.options.count("size")) c.size = size_arg(c.options["size"], line, "size");
      if (c.format != "raw" && c.format != "qcow2") bad(line, "qemu-img create: format '" + c.format + "' is not supported (raw, qcow2)");
      return c;
    }
    if (sub == "map") {
      Opts o = parse_opts(argv, 2, {"-f", "--output", "--start-offset", "--max-length", "--object"},
                          {"--image-opts", "-U"}, line, "qemu-img map");
      if (o.positional.size() != 1) bad(line, "qemu-img map needs exactly one image");
      QemuImgMap m;
      m.image = image_arg(o.positional[0], o.get("-f"), o.has("--image-opts"), line);
      m.image.objects = o.values["--object"];
      m.json_output = o.get("--output") == std::optional<std::string>("json");
      if (auto s = o.get("--start-offset")) m.start = size_arg(*s, line, "start offset");
      if (auto s = o.get("--max-length")) m.max_length = size_arg(*s, line, "max length");
      return m;
    }
    if (sub == "commit" || sub == "rebase" || sub == "convert")
      if (auto op = parse_chain_op(argv, line)) return *op;
    if (sub == "bitmap") return parse_img_bitmap(argv, line);
    if (sub == "info" || sub == "commit" || sub == "rebase" || sub == "convert" || sub == "compare") return QemuImgOther{sub};
    bad(line, "qemu-img " + sub + " is not supported\n" + supported_grammar());
  }
  if (prog == "qemu-io") {
    Opts o = parse_opts(argv, 1, {"-f", "-c", "--object"}, {"--image-opts", "-r", "-n", "-U"}, line, "qemu-io");
    if (o.positional.size() != 1) bad(line, "qemu-io needs exactly one image");
    QemuIo q;
    q.image = image_arg(o.positional[0], o.get("-f"), o.has("--image-opts"), line);
    q.image.objects = o.values["--object"];
    q.read_only = o.has("-r");
    for (const auto& c : o.values["-c"]) q.commands.push_back(parse_io_command(c, line));
    if (q.commands.empty()) bad(line, "qemu-io without -c would wait for input: give -c commands");
    return q;
  }
  if (prog == "qemu-nbd" || prog == "./qemu-nbd") {
    Opts o = parse_opts(argv, 1, {"-f", "-k", "-x", "-B", "--bitmap", "--socket", "--discard", "--format", "--object"},
                        {"-r", "-t", "-A", "-s", "--read-only", "--persistent", "--allocation-depth", "--image-opts",
                         "--snapshot"},
                        line, "qemu-nbd");
    if (o.positional.size() != 1) bad(line, "qemu-nbd needs exactly one image");
    QemuNbd n;
    auto fmt = o.get("-f");
    if (!fmt) fmt = o.get("--format");
    n.image = image_arg(o.positional[0], fmt, o.has("--image-opts"), line);
    n.image.objects = o.values["--object"];
    n.read_only = o.has("-r") || o.has("--read-only");
    n.persistent = o.has("-t") || o.has("--persistent");
    n.allocation_depth = o.has("-A") || o.has("--allocation-depth");
    n.snapshot = o.has("-s") || o.has("--snapshot");
    for (const char* k : {"-B", "--bitmap"})
      for (const auto& b : o.values[k]) n.bitmaps.push_back(b);
    n.socket = o.get("-k");
    if (!n.socket) n.socket = o.get("--socket");
    n.export_name = o.get("-x");
    if (auto d = o.get("--discard")) n.discard = *d;
    n.background = background;
    return n;
  }
  if (prog == "qemu-storage-daemon") return parse_storage_daemon(argv, background, line);
  if (prog == "nbdkit") return parse_nbdkit(argv, background, line);
  if (prog == "nbdinfo" || prog == "./nbdinfo") {
    NbdInfo i;
    for (std::size_t k = 1; k < argv.size(); ++k) {
      const std::string& a = argv[k];
      if (a == "--map") i.map = "";
      else if (starts_with(a, "--map=")) i.map = a.substr(6);
      else if (a == "--json") i.json_output = true;
      else if (a[0] == '-') bad(line, "nbdinfo: option '" + a + "' is not supported\n" + supported_grammar());
      else if (i.uri.empty()) i.uri = a;
      else bad(line, "nbdinfo: unexpected argument '" + a + "'");
    }
    if (i.uri.empty()) bad(line, "nbdinfo needs an NBD URI");
    if (!starts_with(i.uri, "nbd://localhost") && !starts_with(i.uri, "nbd+unix://"))
      bad(line, "nbdinfo: only nbd://localhost and nbd+unix:// URIs are supported (never a remote host)");
    return i;
  }
  if (prog == "truncate") {
    Opts o = parse_opts(argv, 1, {"-s"}, {}, line, "truncate");
    if (!o.get("-s") || o.positional.size() != 1) bad(line, "truncate needs -s SIZE FILE");
    return Truncate{o.positional[0], size_arg(*o.get("-s"), line, "size")};
  }
  bad(line, "'" + prog + "' is not a command chaincheck runs\n" + supported_grammar());
}

}  // namespace

std::vector<TranscriptCommand> parse_transcript(const std::string& text) {
  std::vector<TranscriptCommand> out;
  int monitor_line = 0;  // the last qemu-storage-daemon with a QMP monitor
  for (RawCommand& raw : split_commands(text)) {
    if (raw.qmp) {
      TranscriptCommand c;
      c.line = raw.line;
      c.text = raw.text;
      QmpCommand q = parse_qmp_line(raw.text, raw.line);
      if (monitor_line == 0)
        throw TranscriptError(raw.line, "QMP command '" + q.execute +
                                            "' without a qemu-storage-daemon --chardev ... --monitor before it");
      q.daemon_line = monitor_line;
      // qmp-shell -v echoes the command it sends as JSON: output, not a second command.
      if (!q.shell_form && !out.empty()) {
        auto* prev = std::get_if<QmpCommand>(&out.back().command);
        if (prev && prev->shell_form && prev->execute == q.execute && prev->arguments == q.arguments) {
          out.back().reported.push_back(raw.text);
          for (auto& r : raw.reported) out.back().reported.push_back(std::move(r));
          continue;
        }
      }
      c.argv = {"qmp", q.execute};
      c.command = q;
      c.reported = std::move(raw.reported);
      out.push_back(std::move(c));
      continue;
    }
    Words w = split_words(raw.text, raw.line);
    if (w.words.empty()) continue;
    TranscriptCommand c;
    c.line = raw.line;
    c.text = raw.text;
    c.argv = w.words;
    c.command = parse_command(w.words, w.background, raw.line);
    if (auto* d = std::get_if<StorageDaemonRun>(&c.command); d && d->qmp_socket) monitor_line = raw.line;
    c.reported = std::move(raw.reported);
    out.push_back(std::move(c));
  }
  check_nbdkit_sockets(out);
  return out;
}

}  // namespace chaincheck::impl
