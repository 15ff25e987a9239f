// The model's GraphSpec in QEMU's own terms (json: / --image-opts / blockdev-add options)
// and back. Filenames are as given (the executor runs inside its workspace).
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/scenario/scenario.hpp"

namespace chaincheck::impl {

// image name -> format, for the images a graph may name.
using ImageFormats = std::map<std::string, model::ImageFormat>;

// QEMU block options for a graph. Throttle filters reference throttle group "tg0", which
// the caller must create (qemu-nbd/qemu-io: --object throttle-group,id=tg0).
nlohmann::json qemu_options(const model::GraphSpec& g, const ImageFormats& formats);
bool needs_throttle_group(const model::GraphSpec& g);

// A QEMU json:/--image-opts tree as a GraphSpec; nullopt (with why) when it uses anything
// the model does not know (other drivers, options it does not model).
struct GraphParse {
  std::optional<model::GraphSpec> graph;
  std::string why_not;
  bool protocol = false;  // a bare file node (not yet a format node)
};
GraphParse graph_from_qemu_options(const nlohmann::json& options);

// A plain filename opened with -f FMT: the image with its backing chain.
model::GraphSpec graph_of_file(const std::string& filename);

}  // namespace chaincheck::impl
