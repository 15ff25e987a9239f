#include "impl/transcript/transcript_runner.hpp"

#include <memory>

#include <libnbd.h>

#include "impl/nbd/nbd_client.hpp"
#include "impl/process/process.hpp"
#include "impl/process/versions.hpp"
#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/qemu_tools/qemu_img_bitmap.hpp"
#include "impl/qemu_tools/qemu_io.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/servers/nbdkit_server.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "impl/servers/socket_server.hpp"
#include "impl/transcript/qmp_runner.hpp"

namespace chaincheck::impl {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string l = text.substr(pos, nl - pos);
    if (!is_qemu_io_timing_line(l)) out.push_back(l);
    pos = nl + 1;
  }
  return out;
}

// Formats of the files the transcript made, so "no -f" means what probing would find
// (the drivers never let QEMU probe).
using Formats = std::map<std::string, std::string>;

ImageRef image_ref(const ImageArg& a, const Formats& formats) {
  ImageRef r;
  if (a.structured) {
    r = a.text.rfind("json:", 0) == 0 ? ImageRef::json(a.json) : ImageRef::image_opts(a.text);
  } else {
    std::string fmt = a.format.value_or("");
    if (fmt.empty()) {
      auto it = formats.find(a.text);
      fmt = it == formats.end() ? "raw" : it->second;
    }
    r = ImageRef::file(a.text, fmt);
  }
  for (const auto& o : a.objects) r.with_object(o);
  return r;
}

QemuIoCommand io_command(const IoCommand& c) {
  QemuIoCommand q;
  switch (c.kind) {
    case IoCommand::Kind::Write: q.kind = QemuIoCommand::Kind::Write; break;
    case IoCommand::Kind::WriteZeroes: q.kind = QemuIoCommand::Kind::WriteZeroes; break;
    case IoCommand::Kind::WriteCompressed: q.kind = QemuIoCommand::Kind::WriteCompressed; break;
    case IoCommand::Kind::Discard: q.kind = QemuIoCommand::Kind::Discard; break;
    case IoCommand::Kind::Read: q.kind = QemuIoCommand::Kind::Read; break;
    case IoCommand::Kind::Map: q.kind = QemuIoCommand::Kind::Map; break;
    case IoCommand::Kind::Alloc: q.kind = QemuIoCommand::Kind::Alloc; q.count = c.length; break;
  }
  q.offset = c.offset;
  if (c.kind != IoCommand::Kind::Alloc) q.length = c.length;
  q.pattern = c.pattern;
  q.unmap = c.unmap;
  return q;
}

// How qemu-nbd names a transcript's image argument.
QemuNbdImage nbd_image_of(const ImageArg& a) {
  if (a.text.rfind("json:", 0) == 0 && a.structured) return QemuNbdImage::json(nlohmann::json::parse(a.json));
  if (a.structured) return QemuNbdImage::image_opts(a.text);
  QemuNbdImage image;
  image.kind = QemuNbdImage::Kind::File;
  image.text = a.text;
  image.format = a.format;  // none: qemu-nbd probes
  return image;
}

// qemu-img map may add ZERO to DATA where a qcow2 image's host file has holes (RECURSE once
// qcow2_detect_metadata_preallocation says so, which depends on the host file's allocated
// size): such entries are judged by the bytes, as the campaign judges them, so the image is
// read back (small images only). Nothing when it cannot be (e.g. a writer holds its lock).
std::optional<std::vector<model::Extent<std::uint8_t>>> bytes_behind_zero_data(
    const std::vector<model::MapEntry>& map, const ImageArg& image, const Workspace& ws) {
  constexpr std::uint64_t kMaxRead = 64ull << 20;
  bool zero_data = false;
  std::uint64_t end = 0;
  for (const auto& e : map) {
    zero_data |= e.zero && e.data;
    end = std::max(end, e.start + e.length);
  }
  if (!zero_data || end > kMaxRead) return std::nullopt;
  try {
    QemuNbdOptions o;
    o.read_only = true;
    o.objects = image.objects;
    o.working_dir = ws.path();
    QemuNbdServer server(nbd_image_of(image), o);
    NbdClient client;
    client.connect_unix(server.socket());
    auto runs = read_runs(client, client.size());
    client.disconnect();
    return runs;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct Server {
  std::unique_ptr<QemuNbdServer> server;
  std::shared_ptr<BackgroundProcess> daemon;  // qemu-storage-daemon (one per export it serves)
  std::unique_ptr<NbdkitServer> nbdkit;
  std::filesystem::path socket;               // where it really listens
  std::optional<std::string> socket_as_written;
  std::string export_name;
  bool crashed = false;  // its death was reported (once, by the command it died under)
};

// qemu-storage-daemon as written, but listening inside the workspace; started in the
// background and awaited by an NBD greeting on its socket (never by QMP: no start-up race;
// a monitor is connected to only after that, impl/transcript/qmp_runner.hpp).
std::vector<Server> start_storage_daemon(const StorageDaemonRun& d, const Workspace& ws, std::size_t index,
                                         std::shared_ptr<QmpSession>* qmp = nullptr) {
  std::filesystem::path socket = ws.file("qsd-" + std::to_string(index) + ".sock");
  std::vector<std::string> argv = {"qemu-storage-daemon"};
  // The QMP monitor, like the NBD socket, listens inside the workspace.
  std::filesystem::path qmp_socket = ws.file("qsd-" + std::to_string(index) + "-qmp.sock");
  if (d.qmp_socket)
    argv.insert(argv.end(), {"--chardev", "socket,id=chaincheck-qmp,path=" + qmp_socket.string() + ",server=on,wait=off",
                             "--monitor", "chardev=chaincheck-qmp"});
  for (const auto& o : d.objects) argv.insert(argv.end(), {"--object", o});
  for (const auto& b : d.blockdev_args) argv.insert(argv.end(), {"--blockdev", b});
  argv.insert(argv.end(), {"--nbd-server", "addr.type=unix,addr.path=" + socket.string()});
  for (const auto& e : d.exports) {
    argv.insert(argv.end(), {"--export", "type=nbd,id=" + e.id + ",node-name=" + e.node + ",name=" + e.name +
                                             ",writable=" + (e.writable ? "on" : "off") +
                                             ",allocation-depth=" + (e.allocation_depth ? "on" : "off")});
    for (std::size_t i = 0; i < e.bitmaps.size(); ++i)
      argv.back() += ",bitmaps." + std::to_string(i) + "=" + e.bitmaps[i];
  }
  auto proc = std::make_shared<BackgroundProcess>(start_nbd_server(
      argv, "qemu-storage-daemon", socket, ws.file("qsd-" + std::to_string(index) + ".log"), ws.path(),
      std::chrono::seconds(10)));
  if (d.qmp_socket && qmp) *qmp = open_qmp_session(proc, qmp_socket);
  std::vector<Server> out;
  for (const auto& e : d.exports) {
    Server s;
    s.daemon = proc;
    s.socket = socket;
    s.socket_as_written = d.socket;
    s.export_name = e.name;
    out.push_back(std::move(s));
  }
  return out;
}

// nbd://localhost[:port][/name] or nbd+unix:///name?socket=PATH -> a started server.
int find_server(const std::vector<Server>& servers, const std::string& uri, int line) {
  std::string name, socket;
  if (uri.rfind("nbd+unix://", 0) == 0) {
    std::string rest = uri.substr(11);
    auto q = rest.find("?socket=");
    if (q == std::string::npos) throw TranscriptError(line, "nbd+unix URI without ?socket=");
    socket = rest.substr(q + 8);
    name = rest.substr(0, q);
    if (!name.empty() && name[0] == '/') name = name.substr(1);
  } else {
    std::string rest = uri.substr(std::string("nbd://localhost").size());
    if (!rest.empty() && rest[0] == ':') {
      auto slash = rest.find('/');
      rest = slash == std::string::npos ? "" : rest.substr(slash);
    }
    if (!rest.empty() && rest[0] == '/') name = rest.substr(1);
  }
  for (int i = static_cast<int>(servers.size()) - 1; i >= 0; --i) {
    const Server& s = servers[static_cast<std::size_t>(i)];
    if (!socket.empty()) {
      bool same_socket = s.socket_as_written && (*s.socket_as_written == socket ||
                                                 std::filesystem::path(*s.socket_as_written).filename() ==
                                                     std::filesystem::path(socket).filename());
      // A daemon serves several exports on one socket: the name picks one.
      if (same_socket && (name.empty() || s.export_name.empty() || s.export_name == name)) return i;
      continue;
    }
    if (s.export_name == name || name.empty()) return i;
  }
  throw TranscriptError(line, "nbdinfo: no qemu-nbd server was started before this line for '" + uri + "'");
}

// nbdkit as written, on a socket in its own workspace; the nbd plugin's socket= names the
// socket an earlier server of this transcript really listens on; file= the workspace file.
Server start_nbdkit(const NbdkitRun& k, const std::vector<Server>& servers, const Workspace& ws, int line) {
  NbdkitOptions o;
  o.working_dir = ws.path();
  o.read_only = k.read_only;
  o.filters = k.filters;
  if (k.plugin == NbdkitRun::Plugin::File) {
    o.plugin = "file";
    o.param("file", (std::filesystem::path(k.file).is_absolute() ? std::filesystem::path(k.file) : ws.file(k.file)).string());
  } else {
    const Server* target = nullptr;
    for (auto it = servers.rbegin(); it != servers.rend() && !target; ++it)
      if (!it->nbdkit && it->socket_as_written && same_socket(*it->socket_as_written, k.nbd_socket) &&
          (k.nbd_export.empty() || it->export_name == k.nbd_export))
        target = &*it;
    if (!target)
      throw TranscriptError(line, "nbdkit: no qemu-nbd or qemu-storage-daemon export on socket " + k.nbd_socket +
                                      (k.nbd_export.empty() ? "" : " named " + k.nbd_export) + " was started before this line");
    o.plugin = "nbd";
    o.param("socket", target->socket.string());
    std::string name = k.nbd_export.empty() ? target->export_name : k.nbd_export;
    if (!name.empty()) o.param("export", name);
  }
  for (const auto& [key, value] : k.params) o.param(key, value);
  Server s;
  s.nbdkit = std::make_unique<NbdkitServer>(o);
  s.socket = s.nbdkit->socket();
  s.socket_as_written = k.socket;
  return s;
}

}  // namespace

TranscriptRun run_transcript(const std::vector<TranscriptCommand>& commands) {
  TranscriptRun run;
  run.versions = detect_versions().as_map();
  Workspace ws;
  QemuImg img(ws.path());
  std::vector<Server> servers;
  // qemu-storage-daemon lines with a QMP monitor: their session, NBD socket and its name as written.
  struct Monitor {
    std::shared_ptr<QmpSession> session;
    std::filesystem::path socket;
    std::string socket_as_written;
  };
  std::map<int, Monitor> monitors;
  std::size_t daemons = 0;
  Formats formats;
  for (const TranscriptCommand& tc : commands) {
    CommandOutcome out;
    out.line = tc.line;
    try {
      if (auto* c = std::get_if<QemuImgCreate>(&tc.command)) {
        CreateOptions o;
        o.format = c->format;
        o.size = c->size;
        o.backing_file = c->backing;
        o.backing_format = c->backing_format;
        auto opt = [&](const char* k) -> std::optional<std::string> {
          auto it = c->options.find(k);
          return it == c->options.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        if (auto v = opt("cluster_size")) o.cluster_size = transcript_size(*v);
        if (auto v = opt("extended_l2")) o.extended_l2 = *v == "on" || *v == "true";
        if (auto v = opt("compat")) o.compat = *v;
        if (auto v = opt("preallocation")) o.preallocation = *v;
        img.create(c->file, o);
        formats[c->file] = c->format;
      } else if (auto* m = std::get_if<QemuImgMap>(&tc.command)) {
        MapRange range{m->start, m->max_length};
        ImageRef ref = image_ref(m->image, formats);
        out.img_map.emplace();
        for (const auto& e : img.map(ref, range))
          out.img_map->push_back({e.start, e.length, e.depth, e.present, e.zero, e.data, e.offset});
        out.output = lines_of(m->json_output ? img.map_text(ref, range) : std::string());
        out.content = bytes_behind_zero_data(*out.img_map, m->image, ws);
      } else if (auto* op = std::get_if<QemuImgChainOp>(&tc.command)) {
        // Run as written; a convert's target joins the known formats.
        RunResult r = run_program(tc.argv, RunOptions::in(ws.path()));
        out.output = lines_of(r.out + r.err);
        if (!r.ok()) out.error = r.describe();
        if (auto* cv = std::get_if<model::ConvertStep>(&op->step); cv && r.ok())
          formats[cv->options.target] = model::to_string(cv->options.target_format);
      } else if (std::get_if<QemuImgOther>(&tc.command)) {
        std::vector<std::string> argv = tc.argv;
        RunResult r = run_program(argv, RunOptions::in(ws.path()));
        out.output = lines_of(r.out + r.err);
        if (!r.ok()) out.error = r.describe();
      } else if (auto* q = std::get_if<QemuIo>(&tc.command)) {
        QemuIoScript script(image_ref(q->image, formats));
        if (q->read_only) script.read_only();
        for (const auto& c : q->commands) script.add(io_command(c));
        QemuIoResult r = script.run(ws.path());
        out.output = lines_of(r.run.out + r.run.err);
        for (const auto& cr : r.commands) {
          IoCommandOutcome io;
          if (!cr.ok) io.error = cr.error.empty() ? "failed" : cr.error;
          if (cr.command.kind == QemuIoCommand::Kind::Map) {
            io.map.emplace();
            for (const auto& l : cr.map) io.map->push_back({l.start, l.length, l.allocated});
          }
          if (cr.alloc) io.alloc = model::IoAlloc{cr.command.offset, cr.alloc->allocated, cr.alloc->count};
          out.io.push_back(io);
        }
      } else if (auto* n = std::get_if<QemuNbd>(&tc.command)) {
        QemuNbdOptions o;
        o.read_only = n->read_only;
        o.allocation_depth = n->allocation_depth;
        o.bitmaps = n->bitmaps;
        o.snapshot = n->snapshot;
        o.discard = n->discard;
        o.export_name = n->export_name.value_or("");
        o.objects = n->image.objects;
        o.working_dir = ws.path();
        Server s;
        s.server = std::make_unique<QemuNbdServer>(nbd_image_of(n->image), o);
        s.socket = s.server->socket();
        s.socket_as_written = n->socket;
        s.export_name = o.export_name;
        out.output.push_back("(serving on a private unix socket)");
        servers.push_back(std::move(s));
      } else if (auto* i = std::get_if<NbdInfo>(&tc.command)) {
        int idx = find_server(servers, i->uri, tc.line);
        out.server = idx;
        const Server& s = servers[static_cast<std::size_t>(idx)];
        std::string context = i->map && !i->map->empty() ? *i->map : "base:allocation";
        NbdClient client;
        if (!s.export_name.empty()) client.set_export_name(s.export_name);
        client.request_meta_context(context);
        client.set_strict_mode(client.strict_mode() & ~static_cast<uint32_t>(LIBNBD_STRICT_ALIGN));
        client.connect_unix(s.socket);
        if (i->map && !client.can_meta_context(context)) {
          out.error = "the server does not offer the metadata context " + context;
        } else if (i->map) {
          out.nbd = observe_block_status(client);
          // The real nbdinfo's text, for the annotated output: before the read-back, which
          // through copy-on-read changes what the export says.
          RunResult r = run_program({"nbdinfo", "--map=" + context,
                                     "nbd+unix:///" + s.export_name + "?socket=" + s.socket.string()});
          out.output = lines_of(r.out);
          if (!r.ok()) out.error = r.describe();
          out.content = read_runs(client, out.nbd->export_size);
        } else {
          RunResult r = run_program({"nbdinfo", "nbd+unix:///" + s.export_name + "?socket=" + s.socket.string()});
          out.output = lines_of(r.out);
        }
        client.disconnect();
      } else if (auto* d = std::get_if<StorageDaemonRun>(&tc.command)) {
        Monitor mon;
        std::size_t index = 1000 + daemons++;  // file names distinct from qemu-nbd's
        for (Server& s : start_storage_daemon(*d, ws, index, &mon.session)) servers.push_back(std::move(s));
        if (mon.session) {
          mon.socket = ws.file("qsd-" + std::to_string(index) + ".sock");
          mon.socket_as_written = d->socket;
          monitors[tc.line] = std::move(mon);
        }
        out.output.push_back("(serving on a private unix socket)");
      } else if (auto* k = std::get_if<NbdkitRun>(&tc.command)) {
        servers.push_back(start_nbdkit(*k, servers, ws, tc.line));
        out.output.push_back("(serving on a private unix socket)");
      } else if (auto* q = std::get_if<QmpCommand>(&tc.command)) {
        Monitor& mon = monitors.at(q->daemon_line);
        QmpOutcome r = run_qmp_command(*mon.session, *q);
        out.output = r.output;
        out.error = r.error;
        out.server_crash = r.server_crash;
        // An NBD export added over QMP is a server nbdinfo can name (even when QEMU
        // refused it: the model counts it the same way, and nbdinfo then fails).
        if (q->execute == "block-export-add") {
          auto args = nlohmann::json::parse(q->arguments);
          Server s;
          s.daemon = mon.session->daemon;
          s.socket = mon.socket;
          s.socket_as_written = mon.socket_as_written;
          for (const char* key : {"node-name", "name"})  // the name defaults to the node name
            if (args.contains(key) && args[key].is_string()) s.export_name = args[key].get<std::string>();
          servers.push_back(std::move(s));
        }
      } else if (auto* b = std::get_if<QemuImgBitmap>(&tc.command)) {
        ImgBitmapOptions o;
        auto fmt = [&](const std::optional<std::string>& given, const std::string& file) {
          if (given) return *given;
          auto it = formats.find(file);
          return it == formats.end() ? std::string("qcow2") : it->second;
        };
        o.format = fmt(b->format, b->file);
        for (const auto& [action, source] : b->actions) o.actions.push_back({action, source});
        o.granularity = b->granularity;
        o.source_file = b->source_file;
        if (b->source_file) o.source_format = fmt(b->source_format, *b->source_file);
        RunOptions ro = RunOptions::in(ws.path());
        RunResult r = run_program(qemu_img_bitmap_argv(b->file, b->bitmap, o), ro);
        out.output = lines_of(r.out + r.err);
        if (!r.ok()) out.error = r.describe();
      } else if (auto* t = std::get_if<Truncate>(&tc.command)) {
        run_checked({"truncate", "-s", std::to_string(t->size), t->file}, RunOptions::in(ws.path()));
        formats.emplace(t->file, "raw");
      }
    } catch (const TranscriptError&) {
      throw;
    } catch (const MissingProgram&) {
      throw;
    } catch (const std::exception& e) {
      // Later lines depend on a server: one that fails to start ends the replay, naming it.
      if (std::holds_alternative<QemuNbd>(tc.command))
        throw TranscriptError(tc.line, std::string("qemu-nbd did not start: ") + e.what());
      if (std::holds_alternative<StorageDaemonRun>(tc.command))
        throw TranscriptError(tc.line, std::string("qemu-storage-daemon did not start: ") + e.what());
      if (std::holds_alternative<NbdkitRun>(tc.command))
        throw TranscriptError(tc.line, std::string("nbdkit did not start: ") + e.what());
      out.error = e.what();
      // A server that died under the request (QEMU asserts) is evidence: keep its last words.
      if (std::holds_alternative<NbdInfo>(tc.command) && out.server >= 0) {
        Server& s = servers[static_cast<std::size_t>(out.server)];
        if (!s.crashed)
          out.server_crash = s.server   ? s.server->last_words_if_dead()
                             : s.nbdkit ? s.nbdkit->last_words_if_dead()
                                        : s.daemon->last_words_if_dead();
        s.crashed = s.crashed || !out.server_crash.empty();
        // How the connection broke (reset, not connected) varies from run to run.
        if (!out.server_crash.empty()) out.error = "the server died under it: " + out.server_crash;
      }
    }
    run.outcomes.push_back(std::move(out));
  }
  return run;
}

}  // namespace chaincheck::impl
