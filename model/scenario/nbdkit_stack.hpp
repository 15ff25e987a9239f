// What nbdkit should serve as base:allocation (a second NBD server): its file plugin
// over a raw file, or its nbd plugin in front of a qemu-nbd export, behind the blocksize or
// blocksize-policy filter. The intended answer rounds the export's status with the sticky
// rules of seed 002 (model/semantics/rounding.hpp) at the filter's minimum; nbdkit's blocksize filter
// does exactly that (oracle/conformance/rounding_compare.hpp compares them live).
#pragma once

#include "model/scenario/observation.hpp"

namespace chaincheck::model {

struct NbdkitStack {
  bool nbd_plugin = true;  // false: the file plugin over the graph's (raw) file
  u64 minblock = 0;        // --filter=blocksize minblock=N (0: no such filter)
  u64 policy_minimum = 0;  // --filter=blocksize-policy blocksize-minimum=N (0: none)
};

// The blocksize filter's minblock the campaign puts in front of an export: 4096, or the
// export's own alignment when that is larger (a multiple: the filter never splits QEMU's
// blocks).
u64 campaign_minblock(const ModelState& s, const Graph& g);

// base:allocation (one reply over the whole export), the export size and the advertised
// minimum block size as nbdkit should serve the export `g`.
NbdObservation predict_nbdkit(const ModelState& s, const Graph& g, const NbdkitStack& k);

}  // namespace chaincheck::model
