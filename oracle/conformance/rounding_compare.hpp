// The second NBD server compared: three answers for base:allocation of one chain
// at one alignment, side by side, each judged by the same NBD-spec checks with the
// alignment as the minimum block size:
//   qemu     - what QEMU sends under blkdebug align=N (passes precise sub-N status through);
//   nbdkit   - nbdkit's blocksize filter minblock=N over an NBD connection to qemu-nbd;
//   model    - the model's sticky rounding (model/semantics/rounding.hpp round_sticky, seed 002 rules)
//              of the precise answer (qemu-nbd without any filter).
#pragma once

#include <string>
#include <vector>

#include "model/semantics/projections/nbd_contexts.hpp"
#include "oracle/finding.hpp"

namespace chaincheck::oracle::conformance {

struct RoundingSide {
  std::string name;
  std::vector<model::NbdExtent> extents;  // tiling [0, size)
  std::vector<Finding> violations;        // NBD-spec checks at min block = align
};

struct RoundingComparison {
  u64 size = 0;
  u64 align = 0;
  std::vector<model::NbdExtent> precise;
  std::vector<RoundingSide> sides;
};

// base:allocation extents rounded with the model's sticky rules (DATA sticky set, ZERO
// sticky clear: model::round_sticky), merged.
std::vector<model::NbdExtent> sticky_rounded(const std::vector<model::NbdExtent>& precise_base, u64 align, u64 size);

// Judges every side (one whole-export reply each) and adds the model's side.
RoundingComparison compare_rounding(u64 size, u64 align, const std::vector<model::NbdExtent>& precise,
                                    std::vector<RoundingSide> observed);

// One row per boundary any side has: offset, length, each side's flags (H=hole, Z=zero).
std::string rounding_table(const RoundingComparison& c);

}  // namespace chaincheck::oracle::conformance
