#include "model/semantics/graph.hpp"

#include <stdexcept>

namespace chaincheck::model {

const char* to_string(NodeKind k) {
  switch (k) {
    case NodeKind::Image: return "image";
    case NodeKind::Blkdebug: return "blkdebug";
    case NodeKind::RawWindow: return "raw";
    case NodeKind::CopyOnRead: return "copy-on-read";
    case NodeKind::Throttle: return "throttle";
    case NodeKind::Preallocate: return "preallocate";
    case NodeKind::Compress: return "compress";
  }
  return "?";
}

bool is_filter(NodeKind k) { return k != NodeKind::Image; }

int ModelState::find(const std::string& name) const {
  for (std::size_t i = 0; i < images.size(); ++i)
    if (images[i].name == name) return static_cast<int>(i);
  return -1;
}

int add_image_node(Graph& g, const ModelState& s, int image, BackingChoice backing) {
  Node n;
  n.kind = NodeKind::Image;
  n.image = image;
  const Image& img = s.image(image);
  if (img.format() == ImageFormat::Qcow2) {
    switch (backing.kind) {
      case BackingChoice::Kind::Null: break;
      case BackingChoice::Kind::Node: n.backing = backing.node; break;
      case BackingChoice::Kind::FromHeader:
        if (const auto& file = img.qcow2().backing_file) {
          int b = s.find(*file);
          if (b < 0) throw std::invalid_argument("backing file '" + *file + "' of '" + img.name +
                                                 "' is not a known image");
          if (b == image) throw std::invalid_argument("image '" + img.name + "' backs itself");
          n.backing = add_image_node(g, s, b);
        }
        break;
    }
  }
  return g.add(n);
}

Graph open_image(const ModelState& s, const std::string& name, bool backing_null) {
  int i = s.find(name);
  if (i < 0) throw std::invalid_argument("unknown image '" + name + "'");
  Graph g;
  BackingChoice b;
  if (backing_null) b.kind = BackingChoice::Kind::Null;
  g.root = add_image_node(g, s, i, b);
  return g;
}

u64 node_length(const ModelState& s, const Graph& g, int node) {
  const Node& n = g.node(node);
  switch (n.kind) {
    case NodeKind::Image: return s.image(n.image).guest_length();
    case NodeKind::RawWindow: {
      // raw_getlength: size if given, else file length - offset, clamped to the file.
      u64 child = node_length(s, g, n.child);
      u64 avail = child > n.window_offset ? child - n.window_offset : 0;
      return n.window_size ? std::min(*n.window_size, avail) : avail;
    }
    default: return node_length(s, g, n.child);
  }
}

u64 node_alignment(const ModelState& s, const Graph& g, int node) {
  const Node& n = g.node(node);
  switch (n.kind) {
    case NodeKind::Blkdebug: return n.align;
    case NodeKind::Compress: {
      // filter-compress: request_alignment = the child's cluster size.
      for (int l : cow_layers(g, n.child)) {
        const Image& img = s.image(g.node(l).image);
        if (img.format() == ImageFormat::Qcow2) return img.qcow2().cluster_size();
        break;
      }
      return 1;
    }
    default: return 1;  // qcow2 and raw with -f: request_alignment 1 (raw_refresh_limits)
  }
}

std::vector<int> cow_layers(const Graph& g, int node) {
  std::vector<int> out;
  out.reserve(g.nodes.size());
  int cur = node;
  while (cur >= 0) {
    const Node& n = g.node(cur);
    if (n.kind == NodeKind::Image) {
      out.push_back(cur);
      cur = n.backing;
    } else {
      cur = n.child;
    }
  }
  return out;
}

}  // namespace chaincheck::model
