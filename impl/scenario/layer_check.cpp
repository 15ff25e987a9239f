#include "impl/scenario/layer_check.hpp"

#include <sstream>

#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/scenario/bitmap_check.hpp"
#include "impl/qemu_tools/qemu_io.hpp"
#include "model/semantics/chain.hpp"
#include "model/scenario/scenario.hpp"
#include "model/semantics/projections/qemu_img_map.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;

namespace {

std::string text(const std::vector<model::MapEntry>& m) { return map_to_json(m); }

}  // namespace

std::vector<std::string> compare_layers(const ModelState& s, const Workspace& ws, const ImageFormats& formats,
                                        LayerCheck check) {
  std::vector<std::string> diffs;
  QemuImg img(ws.path());
  auto format_of = [&](const Image& image) {
    auto it = formats.find(image.name);
    return to_string(it == formats.end() ? image.format() : it->second);
  };
  // Headers and maps first: reading content can change what SEEK_DATA says (LayerCheck).
  for (const Image& image : s.images) {
    const std::string who = image.name + ": ";
    bool qcow2 = image.format() == ImageFormat::Qcow2;
    if (qcow2) {
      ImageInfo info = img.info(ImageRef::file(image.name, format_of(image)));
      std::string real = info.backing_filename.value_or("(none)");
      std::string model = image.qcow2().backing_file.value_or("(none)");
      if (real != model) diffs.push_back(who + "backing file is '" + real + "', the model says '" + model + "'");
    }
    if (qcow2 ? !check.qcow2_maps : !check.raw_maps) continue;
    GraphSpec alone = GraphSpec::of_image(image.name, qcow2);
    ImageRef ref = qcow2 ? ImageRef::json(qemu_options(alone, formats).dump())
                         : ImageRef::file(image.name, format_of(image));
    std::vector<model::MapEntry> real;
    for (const auto& e : img.map(ref)) real.push_back({e.start, e.length, e.depth, e.present, e.zero, e.data, e.offset});
    auto want = canonical_map(qemu_img_map(s, build_graph(s, alone)));
    auto got = canonical_map(real);
    if (qcow2) {
      // "zero" inside data follows the host file's holes: RECURSE (file-posix reports a
      // data cluster's unwritten host range as ZERO) is on once
      // qcow2_detect_metadata_preallocation judges the file sparse from its allocated size.
      // That fires for any image smaller than one of its clusters (2M clusters), and once a
      // job has freed or filled clusters of a preallocation=metadata image its verdict can
      // go either way (seen after an active commit on qemu-storage-daemon); persistent
      // bitmaps stored after the data turn unwritten tails into interior holes. The model
      // predicts it only at creation with preallocation=metadata, so maps are compared
      // without it; the content check below reads every byte.
      for (auto* m : {&want, &got})
        for (auto& e : *m)
          if (e.data) e.zero = false;
      want = canonical_map(want);
      got = canonical_map(got);
    }
    if (want != got) diffs.push_back(who + "qemu-img map\n  real:  " + text(got) + "\n  model: " + text(want));
  }
  for (const Image& image : s.images) {
    Graph g = open_image(s, image.name);
    QemuIoScript script(ImageRef::file(image.name, format_of(image)));
    script.read_only();
    auto runs = content(s, g, g.root, 0, node_length(s, g, g.root));
    for (const auto& r : runs) script.read(r.start, r.length, r.value);
    if (runs.empty()) continue;
    QemuIoResult res = script.run(ws.path());
    if (!res.ok()) diffs.push_back(image.name + ": content differs from the model: " + res.first_error());
  }
  if (check.bitmaps)
    for (auto& d : compare_bitmaps(s, ws, formats)) diffs.push_back(std::move(d));
  return diffs;
}

}  // namespace chaincheck::impl
