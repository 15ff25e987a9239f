#include "impl/scenario/qsd_graph.hpp"

#include <map>
#include <stdexcept>

namespace chaincheck::impl {

using model::GraphSpec;
using model::NodeKind;
using nlohmann::json;

bool has_copy_on_read(const GraphSpec& g) {
  if (!g.image && g.filter == NodeKind::CopyOnRead) return true;
  return g.child && has_copy_on_read(*g.child);
}

bool has_filter_between_layers(const GraphSpec& g) {
  if (g.image && g.backing == GraphSpec::Backing::Explicit && g.child && !g.child->image) return true;
  return g.child && has_filter_between_layers(*g.child);
}

bool needs_blockdev(const GraphSpec& g) {
  if (g.image) {
    if (!g.file_filters.empty()) return true;
    if (g.backing == GraphSpec::Backing::Explicit && g.child)
      return !g.child->image || needs_blockdev(*g.child);
    return false;
  }
  return g.filter == NodeKind::CopyOnRead || (g.child && needs_blockdev(*g.child));
}

namespace {

struct Builder {
  const ImageFormats& formats;
  BlockdevOptions options;
  BlockdevPlan plan;
  bool throttle = false;

  std::string add(json node) {
    std::string name = "n" + std::to_string(plan.blockdevs.size());
    node["node-name"] = name;
    node["read-only"] = !plan.writable;
    if (options.unmap) node["discard"] = "unmap";
    plan.blockdevs.push_back(std::move(node));
    return name;
  }

  std::string filter_over(NodeKind kind, std::uint64_t align, const std::string& child) {
    switch (kind) {
      case NodeKind::Blkdebug: return add({{"driver", "blkdebug"}, {"align", align}, {"image", child}});
      case NodeKind::CopyOnRead: return add({{"driver", "copy-on-read"}, {"file", child}});
      case NodeKind::Throttle:
        throttle = true;
        return add({{"driver", "throttle"}, {"throttle-group", "tg0"}, {"file", child}});
      case NodeKind::Preallocate: return add({{"driver", "preallocate"}, {"file", child}});
      case NodeKind::Compress: return add({{"driver", "compress"}, {"file", child}});
      default: throw std::invalid_argument(std::string("not a plain filter: ") + model::to_string(kind));
    }
  }

  std::string node(const GraphSpec& g) {
    if (g.image) {
      auto it = formats.find(*g.image);
      if (it == formats.end()) throw std::invalid_argument("graph names unknown image '" + *g.image + "'");
      // The backing first (its nodes exist before the overlay names them).
      std::optional<std::string> backing;
      if (g.backing == GraphSpec::Backing::Explicit && g.child) backing = node(*g.child);
      std::string file = add({{"driver", "file"}, {"filename", *g.image}});
      for (auto f = g.file_filters.rbegin(); f != g.file_filters.rend(); ++f) file = filter_over(f->kind, f->align, file);
      json fmt = {{"driver", model::to_string(it->second)}, {"file", file}};
      if (g.backing == GraphSpec::Backing::Null) fmt["backing"] = nullptr;
      if (backing) fmt["backing"] = *backing;
      return add(fmt);  // FromHeader: blockdev-add opens the header's chain itself
    }
    if (!g.child) throw std::invalid_argument(std::string(model::to_string(g.filter)) + " filter without a child");
    std::string child = node(*g.child);
    if (g.filter == NodeKind::RawWindow) {
      json j = {{"driver", "raw"}, {"offset", g.offset}, {"file", child}};
      if (g.size) j["size"] = *g.size;
      return add(j);
    }
    return filter_over(g.filter, g.align, child);
  }
};

}  // namespace

BlockdevPlan blockdev_plan(const GraphSpec& g, const ImageFormats& formats, const BlockdevOptions& options) {
  Builder b{formats, options, {}};
  b.plan.writable = options.writable || has_copy_on_read(g);
  b.plan.root = b.node(g);
  if (b.throttle) b.plan.objects.push_back({{"qom-type", "throttle-group"}, {"id", "tg0"}});
  return b.plan;
}

namespace {

json nest(const std::map<std::string, json>& byname, const json& node, int depth) {
  if (depth > 64) throw std::invalid_argument("blockdev references form a cycle");
  json out = json::object();
  for (const auto& [k, v] : node.items()) {
    if (k == "node-name" || k == "read-only" || k == "auto-read-only" || k == "discard" || k == "cache" ||
        k == "detect-zeroes" || k == "force-share")
      continue;
    bool child_key = k == "file" || k == "backing" || k == "image";
    if (child_key && v.is_string()) {
      auto it = byname.find(v.get<std::string>());
      if (it == byname.end()) throw std::invalid_argument("'" + k + "' names unknown node '" + v.get<std::string>() + "'");
      out[k] = nest(byname, it->second, depth + 1);
    } else if (child_key && v.is_object()) {
      out[k] = nest(byname, v, depth + 1);
    } else {
      out[k] = v;
    }
  }
  return out;
}

}  // namespace

json nest_blockdevs(const std::vector<json>& nodes, const std::string& root) {
  std::map<std::string, json> byname;
  for (const json& n : nodes) {
    if (!n.is_object() || !n.contains("node-name") || !n["node-name"].is_string())
      throw std::invalid_argument("a --blockdev without a node-name");
    if (!byname.emplace(n["node-name"].get<std::string>(), n).second)
      throw std::invalid_argument("node-name '" + n["node-name"].get<std::string>() + "' given twice");
  }
  auto it = byname.find(root);
  if (it == byname.end()) throw std::invalid_argument("no --blockdev has node-name '" + root + "'");
  return nest(byname, it->second, 0);
}

std::vector<std::string> blockdev_arguments(const BlockdevPlan& plan) {
  std::vector<std::string> out;
  for (const json& n : plan.blockdevs) out.push_back(n.dump());
  return out;
}

}  // namespace chaincheck::impl
