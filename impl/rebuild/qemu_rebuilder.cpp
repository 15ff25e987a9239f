#include "impl/rebuild/qemu_rebuilder.hpp"

#include <algorithm>
#include <memory>

#include <libnbd.h>

#include "impl/nbd/nbd_client.hpp"
#include "impl/process/process.hpp"
#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/scenario/qemu_graph.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "impl/servers/qemu_nbd_server.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;

namespace {

constexpr std::uint64_t kChunk = 4u << 20;  // well under qemu-nbd's 32 MiB request limit

// One layer alone, as ovirt-imageio opened it (seed 004): json:{"driver":"qcow2",
// "backing":null,"file":{"driver":"file","filename":...}}; raw has no backing to drop.
QemuNbdImage layer_alone(const std::string& name, ImageFormat format) {
  nlohmann::json o = {{"driver", to_string(format)}, {"file", {{"driver", "file"}, {"filename", name}}}};
  if (format == ImageFormat::Qcow2) o["backing"] = nullptr;
  return QemuNbdImage::json(o);
}

std::vector<NbdExtent> extents_of(const BlockStatusObservation& b, const std::string& context, u64 size) {
  NbdObservation nbd;
  nbd.replies = to_model(b, size);
  return context_extents(nbd, context);
}

struct LayerExport {
  QemuNbdServer server;
  NbdClient client;
  LayerRebuild layer;
};

std::unique_ptr<LayerExport> export_layer(const Workspace& ws, const std::string& name, ImageFormat format) {
  QemuNbdOptions o;
  o.read_only = true;
  o.allocation_depth = true;
  o.working_dir = ws.path();
  auto e = std::unique_ptr<LayerExport>(new LayerExport{QemuNbdServer(layer_alone(name, format), o), {}, {}});
  e->client.request_meta_context("base:allocation");
  e->client.request_meta_context("qemu:allocation-depth");
  e->client.connect_unix(e->server.socket());
  e->layer.image = name;
  e->layer.size = e->client.size();
  BlockStatusObservation b = e->client.block_status_full(0, e->layer.size);
  if (!b.ok()) throw ToolError("block status of " + name + " alone: " + b.error);
  e->layer.base_allocation = extents_of(b, "base:allocation", e->layer.size);
  e->layer.allocation_depth = extents_of(b, "qemu:allocation-depth", e->layer.size);
  return e;
}

// Carry out a plan: data read from the layer's export, zeroes as NBD_CMD_WRITE_ZEROES
// without NO_HOLE (qemu-nbd makes zero clusters that hide the backing).
void write_plan(NbdClient& from, NbdClient& to, const std::vector<PlanExtent>& plan, bool no_hole) {
  for (const PlanExtent& p : plan) {
    for (u64 pos = p.start; pos < p.end(); pos += kChunk) {
      u64 n = std::min(kChunk, p.end() - pos);
      if (p.action == PlanAction::Copy) to.pwrite(pos, from.pread(pos, n));
      if (p.action == PlanAction::Zero) to.zero(pos, n, no_hole ? LIBNBD_CMD_FLAG_NO_HOLE : 0);
    }
  }
  to.flush();
}

std::vector<Extent<std::uint8_t>> read_chain(const Workspace& ws, const std::string& name, ImageFormat format) {
  QemuNbdOptions o;
  o.read_only = true;
  o.working_dir = ws.path();
  QemuNbdServer server(QemuNbdImage::file(name, to_string(format)), o);
  NbdClient c;
  c.connect_unix(server.socket());
  auto runs = read_runs(c, c.size());
  c.disconnect();
  return runs;
}

}  // namespace

QemuRebuilder::QemuRebuilder() {
  for (const char* p : {"qemu-img", "qemu-io", "qemu-nbd"}) locate_program(p);
}

RebuildObservation QemuRebuilder::rebuild(const Scenario& s, const std::vector<RebuildStrategy>& strategies,
                                          const RebuildTarget& target) {
  RebuildObservation obs;
  obs.chain = rebuild_chain(s);
  if (obs.chain.empty()) {
    obs.error = "the scenario exports no image chain to rebuild";
    return obs;
  }
  try {
    Workspace ws;
    ImageFormats formats;
    obs.step_errors = realize_steps(s, ws, formats);
    for (const std::string& name : obs.chain)
      if (!formats.count(name)) throw ToolError("chain image '" + name + "' was not created");
    QemuImg img(ws.path());
    auto original = read_chain(ws, obs.chain.back(), formats.at(obs.chain.back()));
    for (RebuildStrategy st : strategies) obs.results.push_back(RebuildResult{st, {}, {}, {}});
    // Bottom up: each layer exported once, its plan written into every strategy's copy.
    for (std::size_t i = 0; i < obs.chain.size(); ++i) {
      auto layer = export_layer(ws, obs.chain[i], formats.at(obs.chain[i]));
      for (RebuildResult& r : obs.results) {
        LayerRebuild l = layer->layer;
        l.plan = rebuild_plan(r.strategy, l.base_allocation, l.allocation_depth);
        std::string name = rebuilt_image_name(r.strategy, i);
        CreateOptions c;
        c.format = "qcow2";
        c.size = l.size;
        c.cluster_size = u64{1} << target.cluster_bits;
        c.extended_l2 = target.extended_l2;
        if (i > 0) {
          c.backing_file = rebuilt_image_name(r.strategy, i - 1);
          c.backing_format = "qcow2";
        }
        img.create(name, c);
        QemuNbdOptions o;
        o.working_dir = ws.path();
        if (target.discard_unmap) o.discard = "unmap";
        QemuNbdServer server(QemuNbdImage::file(name, "qcow2"), o);
        NbdClient to;
        to.connect_unix(server.socket());
        write_plan(layer->client, to, l.plan, target.no_hole);
        // The top target's export is the whole rebuilt chain: read it back right here.
        if (i + 1 == obs.chain.size()) r.wrong = differing_ranges(original, read_runs(to, to.size()));
        to.disconnect();
        r.layers.push_back(std::move(l));
      }
      layer->client.disconnect();
    }
  } catch (const MissingProgram&) {
    throw;
  } catch (const std::exception& e) {
    obs.error = e.what();
  }
  return obs;
}

}  // namespace chaincheck::impl
