// Rebuilding an overlay chain from what an NBD server says about each layer (seed 004):
// ovirt-imageio exported every layer alone (`backing: null`), and copied it into a fresh
// qcow2 created on the already rebuilt backing. A strategy turns one layer's NBD extents
// into a plan of copy / zero / skip extents; the model predicts which guest bytes of the
// rebuilt chain then differ from the original. Pure: the real rebuild is impl/rebuild.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/semantics/projections/nbd_contexts.hpp"
#include "model/scenario/scenario.hpp"

namespace chaincheck::model {

enum class RebuildStrategy {
  // Seed 004, Nir Soffer (ovirt-imageio): base:allocation alone. Data is copied, ZERO
  // without HOLE is written as zeroes, HOLE is skipped (taken to mean "from the backing").
  BaseAllocation,
  // Seed 004, Eric Blake: base:allocation + qemu:allocation-depth. Depth 1 (local) is
  // written, data as data and ZERO as zeroes that hide the backing; depth 0 is skipped.
  AllocationDepth,
};
const char* to_string(RebuildStrategy s);
std::optional<RebuildStrategy> strategy_from_string(const std::string& s);
const std::vector<RebuildStrategy>& all_rebuild_strategies();

enum class PlanAction { Copy, Zero, Skip };
const char* to_string(PlanAction a);

struct PlanExtent {
  u64 start = 0;
  u64 length = 0;
  PlanAction action = PlanAction::Skip;
  u64 end() const { return start + length; }
  bool operator==(const PlanExtent&) const = default;
};

// One layer's plan from its export's extents (each list tiles the export; BaseAllocation
// ignores the depth list). Neighbours with the same action are merged.
std::vector<PlanExtent> rebuild_plan(RebuildStrategy strategy, const std::vector<NbdExtent>& base_allocation,
                                     const std::vector<NbdExtent>& allocation_depth);

struct ByteRange {
  u64 start = 0;
  u64 length = 0;
  u64 end() const { return start + length; }
  bool operator==(const ByteRange&) const = default;
};
std::string describe(const std::vector<ByteRange>& ranges);  // "131072+65536, ..." or "none"

// Where two guest contents (runs from offset 0) differ; bytes past the shorter count.
std::vector<ByteRange> differing_ranges(const std::vector<Extent<std::uint8_t>>& a,
                                        const std::vector<Extent<std::uint8_t>>& b);
// Ranges in exactly one of the two lists (each sorted and disjoint).
std::vector<ByteRange> symmetric_difference(const std::vector<ByteRange>& a, const std::vector<ByteRange>& b);

// The chain a scenario rebuilds, bottom to top: the export's image and its backing files
// as the create steps record them. Empty when the export names no image.
std::vector<std::string> rebuild_chain(const Scenario& s);

// The image a rebuild creates for layer `index` (they live beside the originals).
std::string rebuilt_image_name(RebuildStrategy s, std::size_t index);

// How the fresh images are made and written: their qcow2 geometry, and how zeroes are
// sent (NBD_CMD_WRITE_ZEROES with or without NO_HOLE; qemu-nbd with or without
// --discard=unmap). Every choice must hide the backing where zeroes are written.
struct RebuildTarget {
  unsigned cluster_bits = 16;
  bool extended_l2 = false;
  bool no_hole = false;
  bool discard_unmap = false;
  bool operator==(const RebuildTarget&) const = default;
};
std::string describe(const RebuildTarget& t);

struct LayerRebuild {
  std::string image;
  u64 size = 0;
  std::vector<NbdExtent> base_allocation;
  std::vector<NbdExtent> allocation_depth;
  std::vector<PlanExtent> plan;
};

struct RebuildResult {
  RebuildStrategy strategy = RebuildStrategy::AllocationDepth;
  std::vector<LayerRebuild> layers;  // bottom to top
  std::vector<ByteRange> wrong;      // guest bytes where the rebuilt chain differs
  std::string error;                 // the rebuild could not be done
  std::optional<u64> first_wrong() const {
    return wrong.empty() ? std::nullopt : std::optional<u64>(wrong.front().start);
  }
};

struct RebuildObservation {
  std::vector<std::string> chain;  // bottom to top
  std::vector<std::string> step_errors;
  std::vector<RebuildResult> results;  // one per strategy asked, in order
  std::string error;                   // nothing could be rebuilt
};

// Anything that rebuilds a scenario's chain: the model (below) or the real stack.
class ChainRebuilder {
 public:
  virtual ~ChainRebuilder() = default;
  virtual std::string name() const = 0;
  virtual RebuildObservation rebuild(const Scenario& s, const std::vector<RebuildStrategy>& strategies,
                                     const RebuildTarget& target = {}) = 0;
};

// The model's prediction for a state after the scenario's steps.
RebuildResult predict_rebuild(const ModelState& s, const std::vector<std::string>& chain,
                              RebuildStrategy strategy, const RebuildTarget& target = {});

class ModelRebuilder : public ChainRebuilder {
 public:
  std::string name() const override { return "model"; }
  RebuildObservation rebuild(const Scenario& s, const std::vector<RebuildStrategy>& strategies,
                             const RebuildTarget& target = {}) override;
};

}  // namespace chaincheck::model
