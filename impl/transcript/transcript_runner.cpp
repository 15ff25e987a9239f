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
#include "impl/servers/qemu_nbd_server.hpp"
#include "impl/servers/socket_server.hpp"

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

struct Server {
  std::unique_ptr<QemuNbdServer> server;
  std::shared_ptr<BackgroundProcess> daemon;  // qemu-storage-daemon (one per export it serves)
  std::filesystem::path socket;               // where it really listens
  std::optional<std::string> socket_as_written;
  std::string export_name;
};

// qemu-storage-daemon as written, but listening inside the workspace; started in the
// background and awaited by an NBD greeting on its socket (no QMP: no start-up race).
std::vector<Server> start_storage_daemon(const StorageDaemonRun& d, const Workspace& ws, std::size_t index) {
  std::filesystem::path socket = ws.file("qsd-" + std::to_string(index) + ".sock");
  std::vector<std::string> argv = {"qemu-storage-daemon"};
  for (const auto& o : d.objects) argv.insert(argv.end(), {"--object", o});
  for (const auto& b : d.blockdev_args) argv.insert(argv.end(), {"--blockdev", b});
  argv.insert(argv.end(), {"--nbd-server", "addr.type=unix,addr.path=" + socket.string()});
  for (const auto& e : d.exports) {
    argv.insert(argv.end(), {"--export", "type=nbd,id=" + e.id + ",node-name=" + e.node + ",name=" + e.name +
                                             ",writable=" + (e.writable ? "on" : "off") +
                                             ",allocation-depth=" + (e.allocation_depth ? "on" : "off")});
  }
  auto proc = std::make_shared<BackgroundProcess>(start_nbd_server(
      argv, "qemu-storage-daemon", socket, ws.file("qsd-" + std::to_string(index) + ".log"), ws.path(),
      std::chrono::seconds(10)));
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

}  // namespace

TranscriptRun run_transcript(const std::vector<TranscriptCommand>& commands) {
  TranscriptRun run;
  run.versions = detect_versions().as_map();
  Workspace ws;
  QemuImg img(ws.path());
  std::vector<Server> servers;
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
        QemuNbdImage image;
        if (!n->image.structured) {
          image.kind = QemuNbdImage::Kind::File;
          image.text = n->image.text;
          image.format = n->image.format;  // none: qemu-nbd probes
        }
        else if (n->image.text.rfind("json:", 0) == 0) image = QemuNbdImage::json(nlohmann::json::parse(n->image.json));
        else image = QemuNbdImage::image_opts(n->image.text);
        Server s;
        s.server = std::make_unique<QemuNbdServer>(image, o);
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
        for (Server& s : start_storage_daemon(*d, ws, servers.size())) servers.push_back(std::move(s));
        out.output.push_back("(serving on a private unix socket)");
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
      out.error = e.what();
    }
    run.outcomes.push_back(std::move(out));
  }
  return run;
}

}  // namespace chaincheck::impl
