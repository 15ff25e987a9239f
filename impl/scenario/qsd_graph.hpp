// A GraphSpec as qemu-storage-daemon builds it: object-add for the throttle group, then
// blockdev-add bottom-up with node names (a format node names its file node, its backing
// by node name or null), so that filters can sit anywhere: above the overlay, between an
// overlay and its backing (which QEMU 7.2 cannot take in one json: filename: "Can't specify
// 'file' and 'filename' options at the same time"), and over the file node.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "impl/scenario/qemu_graph.hpp"

namespace chaincheck::impl {

struct BlockdevPlan {
  std::vector<nlohmann::json> objects;    // object-add arguments, in order
  std::vector<nlohmann::json> blockdevs;  // blockdev-add arguments, children first
  std::string root;                       // node name of the graph's top
  bool writable = false;                  // nodes opened read-write (copy-on-read needs it)
};

struct BlockdevOptions {
  bool writable = false;  // guest writes through the graph
  bool unmap = false;     // discard=unmap on every node (qemu-io sets BDRV_O_UNMAP)
};

// Node names are n0, n1, ... in the order the nodes are added.
BlockdevPlan blockdev_plan(const model::GraphSpec& g, const ImageFormats& formats,
                           const BlockdevOptions& options = {});

// True when the graph needs node names: a filter between an overlay and its backing, a
// filter over a file node, or copy-on-read (a writable node; qemu-nbd -r refuses it).
bool needs_blockdev(const model::GraphSpec& g);
bool has_copy_on_read(const model::GraphSpec& g);
// A filter between an overlay and its backing: no single json: filename opens it in 7.2.
bool has_filter_between_layers(const model::GraphSpec& g);

// The inverse: blockdev-add nodes that name their children by node name, nested into one
// options tree for `root` (what graph_from_qemu_options reads). Node-level options that do
// not change the graph (node-name, read-only, discard, cache, ...) are dropped. Throws
// std::invalid_argument for an unknown or repeated node name or a reference cycle.
nlohmann::json nest_blockdevs(const std::vector<nlohmann::json>& nodes, const std::string& root);

// The command-line form: one `--blockdev` value per node (JSON), for transcripts.
std::vector<std::string> blockdev_arguments(const BlockdevPlan& plan);

}  // namespace chaincheck::impl
