// A scenario is data: images and how they are created, guest operations, the graph that
// is exported and queried, and the queries. The model answers it (ModelStack) and so does
// the real stack (impl/scenario); the oracle compares the two. Schema: docs in
// model/scenario/SCENARIO.md; JSON codec in scenario_json.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/scenario/chain_steps.hpp"
#include "model/scenario/block_job_steps.hpp"
#include "model/scenario/runtime_bitmap_steps.hpp"
#include "model/semantics/bitmaps.hpp"
#include "model/semantics/graph.hpp"
#include "model/semantics/operations.hpp"
#include "model/scenario/value_ptr.hpp"

namespace chaincheck::model {

// A filter between an image's format node and its file (protocol) node: blkdebug (align),
// throttle, preallocate. What each changes is in model/semantics/filter_effects.hpp.
struct ProtocolFilter {
  NodeKind kind = NodeKind::Blkdebug;
  u64 align = 0;  // blkdebug
  bool operator==(const ProtocolFilter&) const = default;
};

// A node of the graph to open, as a tree: an image (with its header's backing chain, no
// backing, or an explicit backing node) or a filter over a child.
struct GraphSpec {
  enum class Backing { FromHeader, Null, Explicit };
  std::optional<std::string> image;  // set: an image node
  Backing backing = Backing::FromHeader;
  NodeKind filter = NodeKind::Image;  // a filter node when image is unset
  u64 align = 0;                      // blkdebug
  u64 offset = 0;                     // raw window
  std::optional<u64> size;            // raw window
  ValuePtr<GraphSpec> child;          // filter child, or explicit backing of an image (copied with the spec)
  std::vector<ProtocolFilter> file_filters;  // image: filters over its file node, top-down

  static GraphSpec of_image(std::string name, bool backing_null = false);
  bool operator==(const GraphSpec& o) const;
};

Graph build_graph(const ModelState& s, const GraphSpec& spec);
// The image node under a graph's top filters whose on-disk layout is compared (model and
// inspector alike): null when a raw window shifts offsets on the way down.
const GraphSpec* top_image(const GraphSpec& spec);
// A one-line description: "blkdebug(align=4096) > top.qcow2 > base.raw"
std::string describe(const GraphSpec& spec);

struct CreateStep { CreateOptions options; };
struct TruncateStep { std::string name; u64 size = 0; };
// Guest operations through qemu-io on a graph (BDRV_O_UNMAP set, as qemu-io does).
struct IoStep { GraphSpec graph; GuestOp op; };

// Chain operations (CommitStep, RebaseStep, ConvertStep): model/scenario/chain_steps.hpp.
// qemu-img bitmap on one image (model/semantics/bitmaps.hpp).
struct BitmapStep { BitmapCommand command; };

using Step = std::variant<CreateStep, TruncateStep, IoStep, CommitStep, RebaseStep, ConvertStep, BitmapStep,
                          StreamStep, BlockCommitStep,  // jobs: model/scenario/block_job_steps.hpp
                          RuntimeBitmapStep>;  // QMP bitmaps on qemu-storage-daemon: model/scenario/runtime_bitmap_steps.hpp
std::string describe(const Step& step);

enum class Query {
  ImgMap,          // qemu-img map --output=json of the export graph
  IoMap,           // qemu-io -c map of the export graph
  BaseAllocation,  // NBD base:allocation
  AllocationDepth, // NBD qemu:allocation-depth
  Content,         // every guest byte read back over NBD
  DirtyBitmaps,    // NBD qemu:dirty-bitmap:NAME for each of ExportSpec::bitmaps
  NbdkitBlocksize, // base:allocation and content through nbdkit's nbd plugin + blocksize filter
                   // in front of the export (model/scenario/nbdkit_stack.hpp)
};
const char* to_string(Query q);
std::optional<Query> query_from_string(const std::string& s);

struct ExportSpec {
  GraphSpec graph;
  bool request_block_size = true;  // the client asks for block sizes (libnbd default)
  std::vector<std::string> bitmaps;  // exported (qemu-nbd -B NAME each), queried by DirtyBitmaps
};

struct Scenario {
  std::string name;
  std::uint64_t seed = 0;  // campaign seed that produced it, 0 if hand-written
  HostFs host;
  std::vector<Step> steps;
  std::optional<ExportSpec> export_spec;
  std::vector<Query> queries;
};

}  // namespace chaincheck::model
