#include "impl/scenario/layer_check.hpp"

#include <sstream>

#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/qemu_tools/qemu_io.hpp"
#include "model/chain.hpp"
#include "model/projections/qemu_img_map.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;

namespace {

std::string text(const std::vector<model::MapEntry>& m) { return map_to_json(m); }

}  // namespace

std::vector<std::string> compare_layers(const ModelState& s, const Workspace& ws, const ImageFormats& formats,
                                        bool maps) {
  std::vector<std::string> diffs;
  QemuImg img(ws.path());
  for (const Image& image : s.images) {
    auto fit = formats.find(image.name);
    std::string fmt = to_string(fit == formats.end() ? image.format() : fit->second);
    ImageRef ref = ImageRef::file(image.name, fmt);
    const std::string who = image.name + ": ";
    if (image.format() == ImageFormat::Qcow2) {
      ImageInfo info = img.info(ref);
      std::string real = info.backing_filename.value_or("(none)");
      std::string model = image.qcow2().backing_file.value_or("(none)");
      if (real != model) diffs.push_back(who + "backing file is '" + real + "', the model says '" + model + "'");
    }
    Graph g = open_image(s, image.name);
    std::vector<model::MapEntry> real;
    for (const auto& e : img.map(ref))
      real.push_back({e.start, e.length, e.depth, e.present, e.zero, e.data, e.offset});
    auto want = canonical_map(qemu_img_map(s, g));
    auto got = canonical_map(real);
    if (maps && want != got) diffs.push_back(who + "qemu-img map\n  real:  " + text(got) + "\n  model: " + text(want));
    QemuIoScript script(ref);
    script.read_only();
    auto runs = content(s, g, g.root, 0, node_length(s, g, g.root));
    for (const auto& r : runs) script.read(r.start, r.length, r.value);
    if (!runs.empty()) {
      QemuIoResult res = script.run(ws.path());
      if (!res.ok()) diffs.push_back(who + "content differs from the model: " + res.first_error());
    }
  }
  return diffs;
}

}  // namespace chaincheck::impl
