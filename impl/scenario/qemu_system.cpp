#include "impl/scenario/qemu_system.hpp"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include <libnbd.h>

#include "impl/nbd/nbd_client.hpp"
#include "impl/process/process.hpp"
#include "impl/process/versions.hpp"
#include "impl/qcow2/qcow2_inspector.hpp"
#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/qemu_tools/qemu_img_bitmap.hpp"
#include "impl/qemu_tools/qemu_io.hpp"
#include "impl/scenario/block_jobs_real.hpp"
#include "impl/scenario/chain_steps_real.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/scenario/nbdkit_observation.hpp"
#include "impl/scenario/qemu_graph.hpp"
#include "impl/scenario/qsd_export.hpp"
#include "impl/scenario/runtime_bitmaps_real.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;

model::HostFs measure_host_fs() {
  model::HostFs fs;
  Workspace ws;
  std::string path = ws.file("probe").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fs;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_blksize > 0) fs.granularity = static_cast<u64>(st.st_blksize);
  // Two blocks of data, then zero the second: does SEEK_DATA still see it as data?
  std::vector<char> buf(2 * fs.granularity, 'x');
  bool wrote = ::pwrite(fd, buf.data(), buf.size(), 0) == static_cast<ssize_t>(buf.size()) && ::fsync(fd) == 0;
  if (wrote) {
    off_t g = static_cast<off_t>(fs.granularity);
    bool zeroed = ::fallocate(fd, FALLOC_FL_ZERO_RANGE, g, g) == 0 ||
                  ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, g, g) == 0;
    off_t hole = ::lseek(fd, 0, SEEK_HOLE);
    fs.zeroing_makes_holes = zeroed && hole == g;
  }
  ::close(fd);
  return fs;
}

namespace {

std::map<std::string, std::string> versions_once() {
  static std::once_flag once;
  static std::map<std::string, std::string> v;
  std::call_once(once, [] { v = detect_versions().as_map(); });
  return v;
}

bool plain(const GraphSpec& g) { return g.image && g.backing == GraphSpec::Backing::FromHeader; }

ImageRef image_ref(const GraphSpec& g, const ImageFormats& formats) {
  if (plain(g)) {
    auto it = formats.find(*g.image);
    return ImageRef::file(*g.image, it == formats.end() ? "raw" : to_string(it->second));
  }
  ImageRef r = ImageRef::json(qemu_options(g, formats).dump());
  if (needs_throttle_group(g)) r.with_object("throttle-group,id=tg0");
  return r;
}

impl::CreateOptions create_options(const model::CreateOptions& o) {
  impl::CreateOptions c;
  c.format = to_string(o.format);
  c.size = o.size;
  if (o.format == ImageFormat::Qcow2) {
    c.cluster_size = u64{1} << o.cluster_bits;
    c.extended_l2 = o.extended_l2;
    c.compat = o.v3 ? "1.1" : "0.10";
    if (o.preallocation != Preallocation::Off) c.preallocation = to_string(o.preallocation);
  }
  if (o.backing_file) {
    c.backing_file = *o.backing_file;
    c.backing_format = to_string(o.backing_format.value_or(ImageFormat::Raw));
  }
  return c;
}

std::string run_io(const GraphSpec& g, const GuestOp& op, const ImageFormats& formats, const Workspace& ws) {
  // qemu-io cannot open a filter between layers from one json: filename: a writable
  // qemu-storage-daemon export takes the operation over NBD instead.
  if (has_filter_between_layers(g)) return run_io_over_nbd(g, op, formats, ws.path());
  QemuIoScript script(image_ref(g, formats));
  switch (op.kind) {
    case OpKind::Write: script.write(op.offset, op.length, op.pattern); break;
    case OpKind::WriteZeroes: script.write_zeroes(op.offset, op.length, op.may_unmap); break;
    case OpKind::Discard: script.discard(op.offset, op.length); break;
    case OpKind::WriteCompressed: script.write_compressed(op.offset, op.length, op.pattern); break;
  }
  QemuIoResult r = script.run(ws.path());
  return r.ok() ? std::string() : r.first_error();
}

// qemu-img bitmap, with the formats the scenario created the images in.
void run_bitmap(const BitmapCommand& c, const ImageFormats& formats, const Workspace& ws) {
  auto format_of = [&](const std::string& name) {
    auto it = formats.find(name);
    return std::string(it == formats.end() ? "qcow2" : to_string(it->second));
  };
  ImgBitmapOptions o;
  o.format = format_of(c.image);
  for (const BitmapAction& a : c.actions) o.actions.push_back({to_string(a.kind), a.source});
  o.granularity = c.granularity;
  if (c.source_image) {
    o.source_file = *c.source_image;
    o.source_format = format_of(*c.source_image);
  }
  qemu_img_bitmap(ws.path(), c.image, c.bitmap, o);
}

std::vector<model::MapEntry> to_model(const std::vector<impl::MapEntry>& in) {
  std::vector<model::MapEntry> out;
  for (const auto& e : in) out.push_back({e.start, e.length, e.depth, e.present, e.zero, e.data, e.offset});
  return out;
}

void observe_nbd(const Scenario& s, const GraphSpec& g, const ImageFormats& formats, const Workspace& ws,
                 Observation& obs) {
  bool want_content = false;
  std::vector<std::string> contexts;
  for (Query q : s.queries) {
    if (q == Query::BaseAllocation) contexts.push_back("base:allocation");
    if (q == Query::AllocationDepth) contexts.push_back("qemu:allocation-depth");
    if (q == Query::Content) want_content = true;
  }
  std::vector<std::string> bitmaps;
  if (std::find(s.queries.begin(), s.queries.end(), Query::DirtyBitmaps) != s.queries.end())
    bitmaps = s.export_spec->bitmaps;
  for (const auto& b : bitmaps) contexts.push_back(dirty_bitmap_context(b));
  bool want_nbdkit = std::find(s.queries.begin(), s.queries.end(), Query::NbdkitBlocksize) != s.queries.end();
  if (contexts.empty() && !want_content && !want_nbdkit) return;
  // Filters between layers, over file nodes, or copy-on-read: qemu-storage-daemon builds
  // the graph with node names (qsd_graph.hpp); anything else: one qemu-nbd.
  std::optional<QsdExport> qsd;
  std::optional<QemuNbdServer> server;
  NbdClient client;
  if (needs_blockdev(g)) {
    qsd.emplace(g, formats, ws.path(), BlockdevOptions{}, bitmaps);
    client.set_export_name(qsd->export_name());
  } else {
    QemuNbdOptions opts;
    opts.read_only = true;
    opts.allocation_depth = true;
    opts.bitmaps = bitmaps;
    opts.working_dir = ws.path();
    if (needs_throttle_group(g)) opts.objects.push_back("throttle-group,id=tg0");
    QemuNbdImage image = plain(g) ? QemuNbdImage::file(*g.image, to_string(formats.at(*g.image)))
                                  : QemuNbdImage::json(qemu_options(g, formats));
    server.emplace(image, opts);
  }
  for (const auto& c : contexts) client.request_meta_context(c);
  client.set_request_block_size(s.export_spec->request_block_size);
  // Reading everything back may need a request shorter than the advertised minimum (an
  // export smaller than blkdebug's align): let the server see it, QEMU serves it.
  client.set_strict_mode(client.strict_mode() & ~static_cast<uint32_t>(LIBNBD_STRICT_ALIGN));
  client.connect_unix(qsd ? qsd->socket() : server->socket());
  NbdObservation nbd;
  try {
    nbd = observe_block_status(client);
    if (want_content) obs.content = read_runs(client, nbd.export_size);
  } catch (const std::exception&) {
    // A server that died mid-session (QEMU asserts) is evidence: keep its last words.
    obs.server_crash = qsd ? qsd->daemon().last_words_if_dead() : server->last_words_if_dead();
    throw;
  }
  client.disconnect();
  // The second server: nbdkit in front of the same live export.
  if (want_nbdkit) observe_through_nbdkit(qsd ? qsd->socket() : server->socket(), qsd ? qsd->export_name() : "", ws.path(), obs);
  if (qsd) qsd->stop();
  if (server) server->stop();
  obs.nbd = std::move(nbd);
}

// The inspector's states and the model's cluster types name the same QEMU types in order.
static_assert(static_cast<int>(ClusterState::UnallocatedAlloc) == static_cast<int>(ClusterType::UnallocatedAlloc) &&
              static_cast<int>(ClusterState::ZeroPlain) == static_cast<int>(ClusterType::ZeroPlain) &&
              static_cast<int>(ClusterState::ZeroAlloc) == static_cast<int>(ClusterType::ZeroAlloc) &&
              static_cast<int>(ClusterState::Normal) == static_cast<int>(ClusterType::Normal) &&
              static_cast<int>(ClusterState::Compressed) == static_cast<int>(ClusterType::Compressed));

// The export's first qcow2 layer read from disk by our own inspector (not QEMU).
std::optional<std::vector<LayoutExtent>> inspect_top(const GraphSpec& g, const ImageFormats& formats,
                                                     const Workspace& ws) {
  const GraphSpec* n = top_image(g);
  if (!n) return std::nullopt;
  auto it = formats.find(*n->image);
  if (it == formats.end() || it->second != ImageFormat::Qcow2) return std::nullopt;
  std::vector<LayoutExtent> out;
  for (const GuestExtent& e : Qcow2Inspector::open_file(ws.file(*n->image)).map()) {
    LayoutExtent l{e.guest_offset, e.length, static_cast<ClusterType>(e.state), e.host_offset};
    if (!has_host_cluster(l.type)) l.host_offset.reset();
    if (!out.empty() && out.back().type == l.type && out.back().end() == l.start &&
        (!l.host_offset || (out.back().host_offset && *out.back().host_offset + out.back().length == *l.host_offset))) {
      out.back().length += l.length;
    } else {
      out.push_back(l);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> realize_steps(const Scenario& s, const Workspace& ws, ImageFormats& formats) {
  QemuImg img(ws.path());
  std::vector<std::string> errors;
  for (const Step& step : s.steps) {
    std::string err;
    try {
      if (auto* c = std::get_if<CreateStep>(&step)) {
        img.create(c->options.name, create_options(c->options));
        formats[c->options.name] = c->options.format;
      } else if (auto* t = std::get_if<TruncateStep>(&step)) {
        run_checked({"truncate", "-s", std::to_string(t->size), t->name}, RunOptions::in(ws.path()));
        formats.emplace(t->name, ImageFormat::Raw);
      } else if (realize_chain_step(step, img, formats)) {
        // commit / rebase / convert (impl/scenario/chain_steps_real.cpp)
      } else if (realize_job_step(step, ws, formats)) {
        // block-stream / block-commit on qemu-storage-daemon (impl/scenario/block_jobs_real.cpp)
      } else if (realize_runtime_bitmap_step(step, ws)) {
        // QMP bitmap commands on qemu-storage-daemon (impl/scenario/runtime_bitmaps_real.cpp)
      } else if (auto* b = std::get_if<BitmapStep>(&step)) {
        run_bitmap(b->command, formats, ws);
      } else {
        const IoStep& io = std::get<IoStep>(step);
        err = run_io(io.graph, io.op, formats, ws);
      }
    } catch (const MissingProgram&) {
      throw;
    } catch (const std::exception& e) {
      err = e.what();
    }
    errors.push_back(err);
  }
  return errors;
}

QemuSystem::QemuSystem() : host_(measure_host_fs()) {
  // Fail early, with the package to install, when a program is missing.
  for (const char* p : {"qemu-img", "qemu-io", "qemu-nbd"}) locate_program(p);
}

Observation QemuSystem::run(const Scenario& s) {
  Observation obs;
  obs.versions = versions_once();
  try {
    Workspace ws;
    QemuImg img(ws.path());
    ImageFormats formats;
    obs.step_errors = realize_steps(s, ws, formats);
    if (!s.export_spec) return obs;
    const GraphSpec& g = s.export_spec->graph;
    for (Query q : s.queries) {
      if (q == Query::ImgMap) obs.img_map = to_model(img.map(image_ref(g, formats)));
      if (q == Query::IoMap) {
        QemuIoResult r = QemuIoScript(image_ref(g, formats)).read_only().map().run(ws.path());
        if (!r.ok()) throw ToolError("qemu-io map: " + r.first_error());
        std::vector<IoMapLine> lines;
        for (const auto& l : r.commands.at(0).map) lines.push_back({l.start, l.length, l.allocated});
        obs.io_map = std::move(lines);
      }
    }
    observe_nbd(s, g, formats, ws, obs);
    obs.top_layout = inspect_top(g, formats, ws);
  } catch (const MissingProgram&) {
    throw;
  } catch (const std::exception& e) {
    obs.error = e.what();
  }
  return obs;
}

}  // namespace chaincheck::impl
