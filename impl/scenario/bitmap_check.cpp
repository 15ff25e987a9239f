#include "impl/scenario/bitmap_check.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include <libnbd.h>
#include <nlohmann/json.hpp>

#include "impl/nbd/nbd_client.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "model/scenario/observation.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"
#include "model/scenario/scenario.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;

namespace {

struct RealBitmap {
  u64 granularity = 0;
  bool enabled = false;
  bool in_use = false;
};

std::map<std::string, RealBitmap> listed_bitmaps(const std::string& image, const Workspace& ws) {
  RunResult r = run_checked({"qemu-img", "info", "--output=json", "-f", "qcow2", image}, RunOptions::in(ws.path()));
  nlohmann::json j = nlohmann::json::parse(r.out);
  std::map<std::string, RealBitmap> out;
  const auto* data = j.contains("format-specific") ? &j["format-specific"]["data"] : nullptr;
  if (!data || !data->contains("bitmaps")) return out;
  for (const auto& b : (*data)["bitmaps"]) {
    RealBitmap rb;
    rb.granularity = b.at("granularity").get<u64>();
    for (const auto& f : b.at("flags")) {
      rb.enabled |= f == "auto";
      rb.in_use |= f == "in-use";
    }
    out[b.at("name").get<std::string>()] = rb;
  }
  return out;
}

std::string text(const std::vector<NbdExtent>& v) {
  std::ostringstream o;
  for (const auto& e : v) o << " " << e.start << "+" << e.length << (e.value & kNbdDirty ? ":dirty" : ":clean");
  return o.str();
}

}  // namespace

std::vector<std::string> compare_bitmaps(const ModelState& s, const Workspace& ws, const ImageFormats& formats) {
  std::vector<std::string> diffs;
  for (const Image& image : s.images) {
    if (image.format() != ImageFormat::Qcow2) continue;
    auto it = formats.find(image.name);
    if (it != formats.end() && it->second != ImageFormat::Qcow2) continue;
    const std::string who = image.name + ": ";
    std::map<std::string, RealBitmap> real = listed_bitmaps(image.name, ws);
    std::vector<std::string> names;
    for (const DirtyBitmap& b : image.qcow2().bitmaps) {
      auto r = real.find(b.name);
      if (r == real.end()) {
        diffs.push_back(who + "bitmap " + b.name + " is missing (the model has it)");
        continue;
      }
      if (r->second.granularity != b.granularity)
        diffs.push_back(who + "bitmap " + b.name + " granularity " + std::to_string(r->second.granularity) +
                        ", the model says " + std::to_string(b.granularity));
      if (r->second.enabled != b.enabled)
        diffs.push_back(who + "bitmap " + b.name + (r->second.enabled ? " is enabled" : " is disabled") +
                        ", the model says " + (b.enabled ? "enabled" : "disabled"));
      if (r->second.in_use) diffs.push_back(who + "bitmap " + b.name + " is in-use (inconsistent) on disk");
      else names.push_back(b.name);
    }
    for (const auto& entry : real) {
      const std::string& name = entry.first;  // not a structured binding: clang 14 cannot capture one
      bool known = std::any_of(image.qcow2().bitmaps.begin(), image.qcow2().bitmaps.end(),
                               [&](const DirtyBitmap& b) { return b.name == name; });
      if (!known) diffs.push_back(who + "has bitmap " + name + " the model does not");
    }
    if (names.empty()) continue;
    // The layer alone, so the bitmap search cannot reach a backing file's bitmap.
    QemuNbdOptions o;
    o.read_only = true;
    o.bitmaps = names;
    o.working_dir = ws.path();
    QemuNbdServer server(QemuNbdImage::json(qemu_options(GraphSpec::of_image(image.name, true), formats)), o);
    NbdClient client;
    for (const auto& n : names) client.request_meta_context(dirty_bitmap_context(n));
    client.set_request_block_size(false);
    client.connect_unix(server.socket());
    NbdObservation nbd = observe_block_status(client);
    client.disconnect();
    server.stop();
    for (const DirtyBitmap& b : image.qcow2().bitmaps) {
      if (std::find(names.begin(), names.end(), b.name) == names.end()) continue;
      auto got = merge_equal(context_extents(nbd, dirty_bitmap_context(b.name)));
      auto want = dirty_bitmap_extents(b, 0, nbd.export_size);
      if (got != want)
        diffs.push_back(who + "bitmap " + b.name + " dirty ranges\n  real: " + text(got) + "\n  model:" + text(want));
    }
  }
  return diffs;
}

}  // namespace chaincheck::impl
