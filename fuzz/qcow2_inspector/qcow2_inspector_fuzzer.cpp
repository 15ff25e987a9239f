// Fuzz target: the qcow2 inspector on arbitrary bytes. Parsing, mapping, point queries,
// refcounts and the consistency check may only ever refuse with Qcow2FormatError; the
// extents they produce must tile the guest range with consistent fields.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "impl/qcow2/qcow2_inspector.hpp"

namespace {

using chaincheck::impl::ClusterState;
using chaincheck::impl::GuestExtent;

// Hostile images can describe millions of distinct extents; a prefix is enough.
constexpr std::size_t kMaxExtents = 1 << 16;

void require(bool ok) {
  if (!ok) std::abort();
}

void require_consistent(const GuestExtent& e) {
  const bool has_host = e.state == ClusterState::Normal || e.state == ClusterState::ZeroAlloc ||
                        e.state == ClusterState::UnallocatedAlloc;
  require(e.length > 0);
  require(e.host_offset.has_value() == has_host);
  require(e.compressed.has_value() == (e.state == ClusterState::Compressed));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const chaincheck::impl::Qcow2Inspector img(std::span<const std::uint8_t>(data, size));
    std::uint64_t next = 0;
    std::size_t count = 0;
    const bool complete = img.for_each_extent(0, img.virtual_size(), [&](const GuestExtent& e) {
      require(e.guest_offset == next);
      require_consistent(e);
      next = e.end();
      return ++count < kMaxExtents;
    });
    require(!complete || next == img.virtual_size());
    if (img.virtual_size() > 0) {
      // A point query agrees with the streamed map about the state of its unit.
      const std::uint64_t at = (img.virtual_size() - 1) / 3 * 2;
      const GuestExtent unit = img.cluster_state(at);
      require_consistent(unit);
      require(unit.guest_offset <= at && at < unit.end() && unit.length <= img.subcluster_size());
      const auto around = img.map(unit.guest_offset, unit.length);
      require(around.size() == 1 && around[0] == unit);
    }
    img.refcount(0);
    img.refcount(size / 512);
    img.check();
  } catch (const chaincheck::impl::Qcow2FormatError&) {
  }
  return 0;
}
