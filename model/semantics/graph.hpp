// A block graph over images: format nodes (one per opened image) and filter nodes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/semantics/image.hpp"

namespace chaincheck::model {

enum class NodeKind {
  Image,        // a format driver (raw or qcow2) over its file
  Blkdebug,     // request alignment `align`; status passes through (is_filter)
  RawWindow,    // raw format with offset/size: a window onto its child
  CopyOnRead,   // transparent for status
  Throttle,     // transparent
  Preallocate,  // transparent for guest-visible status
  Compress,     // writes become compressed writes; request alignment = cluster size
};

const char* to_string(NodeKind k);
bool is_filter(NodeKind k);

struct Node {
  NodeKind kind = NodeKind::Image;
  int image = -1;    // NodeKind::Image: index into ModelState::images
  int backing = -1;  // NodeKind::Image (qcow2): backing node, -1 if none opened
  int child = -1;    // filters: the filtered node
  u64 align = 1;     // Blkdebug
  u64 window_offset = 0;                 // RawWindow
  std::optional<u64> window_size;        // RawWindow
};

struct Graph {
  std::vector<Node> nodes;
  int root = -1;

  const Node& node(int i) const { return nodes.at(static_cast<std::size_t>(i)); }
  int add(Node n) {
    // Graphs hold a handful of nodes: one allocation instead of one per doubling (the
    // model builds a graph per step, and each allocation is costly under ASan).
    if (nodes.capacity() == 0) nodes.reserve(8);
    nodes.push_back(n);
    return static_cast<int>(nodes.size()) - 1;
  }
  // Put a filter on top of the current root.
  Graph& push_filter(Node filter) {
    filter.child = root;
    root = add(filter);
    return *this;
  }
};

struct ModelState {
  std::vector<Image> images;
  HostFs host;

  ModelState() { images.reserve(8); }  // scenarios have a few images: one allocation

  int find(const std::string& name) const;  // -1 if absent
  const Image& image(int i) const { return images.at(static_cast<std::size_t>(i)); }
  Image& image(int i) { return images.at(static_cast<std::size_t>(i)); }
};

// How an image is opened: its backing as the header says, none (`backing: null`), or an
// explicit node of the same graph.
struct BackingChoice {
  enum class Kind { FromHeader, Null, Node } kind = Kind::FromHeader;
  int node = -1;
};

// Add a format node for `image`, opening its backing chain as recorded in the headers
// (recursively) unless `backing` says otherwise. Returns the node id.
int add_image_node(Graph& g, const ModelState& s, int image, BackingChoice backing = {});

// The usual graph: the named image with its backing chain from the headers.
Graph open_image(const ModelState& s, const std::string& name, bool backing_null = false);

// Length of the guest-visible range of a node.
u64 node_length(const ModelState& s, const Graph& g, int node);
// Request alignment of a node (bl.request_alignment): blkdebug align, compress = cluster.
u64 node_alignment(const ModelState& s, const Graph& g, int node);

// The COW layers under `node` in walk order (filters skipped): node ids of Image nodes.
std::vector<int> cow_layers(const Graph& g, int node);

}  // namespace chaincheck::model
