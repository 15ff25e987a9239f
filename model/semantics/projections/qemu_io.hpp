// qemu-io `map` and `alloc`: allocation of the top layer only (bdrv_is_allocated).
#pragma once

#include <string>
#include <vector>

#include "model/semantics/chain.hpp"

namespace chaincheck::model {

struct IoMapLine {
  u64 start = 0;
  u64 length = 0;
  bool allocated = false;
  bool operator==(const IoMapLine&) const = default;
};
std::vector<IoMapLine> qemu_io_map(const ModelState& s, const Graph& g);

struct IoAlloc {
  u64 offset = 0;
  u64 allocated = 0;  // bytes allocated in the top layer
  u64 count = 0;      // bytes examined (shrinks at EOF)
  bool operator==(const IoAlloc&) const = default;
};
// `alloc OFF [COUNT]` (COUNT defaults to 512 in qemu-io).
IoAlloc qemu_io_alloc(const ModelState& s, const Graph& g, u64 offset, u64 count = 512);

// qemu-io's human sizes (cvtstr): "64 KiB", "1.688 MiB", "0 bytes".
std::string qemu_io_size(u64 bytes);
// The text qemu-io prints for map and alloc.
std::string qemu_io_map_text(const std::vector<IoMapLine>& lines);
std::string qemu_io_alloc_text(const IoAlloc& a);

}  // namespace chaincheck::model
