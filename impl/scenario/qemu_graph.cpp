#include "impl/scenario/qemu_graph.hpp"

#include <stdexcept>

#include "model/scenario/sizes.hpp"

namespace chaincheck::impl {

using model::GraphSpec;
using model::NodeKind;
using nlohmann::json;

bool needs_throttle_group(const GraphSpec& g) {
  if (!g.image && g.filter == NodeKind::Throttle) return true;
  for (const auto& f : g.file_filters)
    if (f.kind == NodeKind::Throttle) return true;
  return g.child && needs_throttle_group(*g.child);
}

json qemu_options(const GraphSpec& g, const ImageFormats& formats) {
  if (g.image) {
    auto it = formats.find(*g.image);
    if (it == formats.end()) throw std::invalid_argument("graph names unknown image '" + *g.image + "'");
    json file = {{"driver", "file"}, {"filename", *g.image}};
    for (auto f = g.file_filters.rbegin(); f != g.file_filters.rend(); ++f) {
      if (f->kind == NodeKind::Blkdebug) file = {{"driver", "blkdebug"}, {"align", f->align}, {"image", file}};
      else if (f->kind == NodeKind::Throttle) file = {{"driver", "throttle"}, {"throttle-group", "tg0"}, {"file", file}};
      else file = {{"driver", model::to_string(f->kind)}, {"file", file}};
    }
    json j = {{"driver", model::to_string(it->second)}, {"file", file}};
    if (g.backing == GraphSpec::Backing::Null) j["backing"] = nullptr;
    if (g.backing == GraphSpec::Backing::Explicit && g.child) j["backing"] = qemu_options(*g.child, formats);
    return j;
  }
  json child = qemu_options(*g.child, formats);
  switch (g.filter) {
    case NodeKind::Blkdebug: return {{"driver", "blkdebug"}, {"align", g.align}, {"image", child}};
    case NodeKind::RawWindow: {
      json j = {{"driver", "raw"}, {"offset", g.offset}, {"file", child}};
      if (g.size) j["size"] = *g.size;
      return j;
    }
    case NodeKind::CopyOnRead: return {{"driver", "copy-on-read"}, {"file", child}};
    case NodeKind::Throttle: return {{"driver", "throttle"}, {"throttle-group", "tg0"}, {"file", child}};
    case NodeKind::Preallocate: return {{"driver", "preallocate"}, {"file", child}};
    case NodeKind::Compress: return {{"driver", "compress"}, {"file", child}};
    case NodeKind::Image: break;
  }
  throw std::invalid_argument("unknown filter");
}

GraphSpec graph_of_file(const std::string& filename) { return GraphSpec::of_image(filename); }

namespace {

std::optional<std::uint64_t> number(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::uint64_t>();
  if (v.is_string()) return model::parse_size(v.get<std::string>());
  return std::nullopt;
}

GraphParse fail(std::string why) { return {std::nullopt, std::move(why)}; }

GraphParse parse(const json& j) {
  if (!j.is_object()) return fail("a block node must be a JSON object");
  if (!j.contains("driver") || !j["driver"].is_string()) return fail("a block node without a driver");
  std::string driver = j["driver"].get<std::string>();
  auto child_of = [&](const char* key) -> GraphParse {
    if (!j.contains(key)) return fail(driver + " without '" + std::string(key) + "'");
    return parse(j[key]);
  };
  if (driver == "file") {
    if (!j.contains("filename") || !j["filename"].is_string()) return fail("file node without a filename");
    return {GraphSpec::of_image(j["filename"].get<std::string>()), "", true};
  }
  if (driver == "qcow2" || driver == "raw") {
    GraphParse file = child_of("file");
    if (!file.graph) return file;
    bool window = driver == "raw" && (j.contains("offset") || j.contains("size"));
    if (file.protocol && !window) {
      // format over a file protocol node: the image itself
      GraphSpec img = *file.graph;
      if (j.contains("backing")) {
        if (driver == "raw") return fail("raw has no backing");
        if (j["backing"].is_null()) {
          img.backing = GraphSpec::Backing::Null;
        } else {
          GraphParse b = parse(j["backing"]);
          if (!b.graph) return b;
          img.backing = GraphSpec::Backing::Explicit;
          img.child = std::make_shared<GraphSpec>(*b.graph);
        }
      }
      return {img, ""};
    }
    if (driver == "raw") {
      // raw offset/size: a window onto the node below (over a file, onto that raw image).
      GraphSpec w;
      w.filter = NodeKind::RawWindow;
      if (j.contains("offset")) {
        auto v = number(j["offset"]);
        if (!v) return fail("raw offset is not a number");
        w.offset = *v;
      }
      if (j.contains("size")) {
        auto v = number(j["size"]);
        if (!v) return fail("raw size is not a number");
        w.size = *v;
      }
      w.child = std::make_shared<GraphSpec>(*file.graph);
      return {w, ""};
    }
    return fail("qcow2 over something other than a file is not modelled");
  }
  GraphSpec f;
  GraphParse child;
  if (driver == "blkdebug") {
    f.filter = NodeKind::Blkdebug;
    f.align = 1;
    if (j.contains("align")) {
      auto v = number(j["align"]);
      if (!v) return fail("blkdebug align is not a number");
      f.align = *v;
    }
    child = child_of("image");
  } else if (driver == "copy-on-read" || driver == "throttle" || driver == "preallocate" || driver == "compress") {
    f.filter = driver == "copy-on-read" ? NodeKind::CopyOnRead
               : driver == "throttle"   ? NodeKind::Throttle
               : driver == "preallocate" ? NodeKind::Preallocate
                                         : NodeKind::Compress;
    child = child_of("file");
  } else {
    return fail("driver '" + driver + "' is not modelled");
  }
  if (!child.graph) return child;
  if (child.protocol) {
    // A filter over a file node: still the protocol level, the format node above owns it.
    if (f.filter != NodeKind::Blkdebug && f.filter != NodeKind::Throttle && f.filter != NodeKind::Preallocate)
      return fail(driver + " over a file node is not modelled");
    GraphSpec img = *child.graph;
    img.file_filters.insert(img.file_filters.begin(), model::ProtocolFilter{f.filter, f.align});
    return {img, "", true};
  }
  f.child = std::make_shared<GraphSpec>(*child.graph);
  return {f, ""};
}

}  // namespace

GraphParse graph_from_qemu_options(const json& options) { return parse(options); }

}  // namespace chaincheck::impl
