// What a guest range is backed by, as the inspector reads it from the L1/L2 tables.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chaincheck::impl {

// QEMU's QCow2SubclusterType minus INVALID (which the inspector refuses instead).
enum class ClusterState : std::uint8_t {
  Unallocated,       // UNALLOCATED_PLAIN: no host cluster; reads go to the backing file
  UnallocatedAlloc,  // UNALLOCATED_ALLOC: extended L2, host cluster but subcluster unallocated
  ZeroPlain,         // reads as zero, no host cluster
  ZeroAlloc,         // reads as zero, host cluster kept (preallocated)
  Normal,            // data at host_offset
  Compressed,        // data in a compressed descriptor; no direct host offset
};
std::string_view to_string(ClusterState state);

struct CompressedCluster {
  std::uint64_t host_offset = 0;  // byte offset of the compressed stream (not aligned)
  std::uint64_t size = 0;         // bytes from host_offset to the end of its last sector
  bool operator==(const CompressedCluster&) const = default;
};

struct GuestExtent {
  std::uint64_t guest_offset = 0;
  std::uint64_t length = 0;
  ClusterState state = ClusterState::Unallocated;
  // Host offset of guest_offset (Normal, ZeroAlloc, UnallocatedAlloc); in the external
  // data file when the image has one.
  std::optional<std::uint64_t> host_offset;
  // Compressed only; a compressed extent never spans more than one guest cluster.
  std::optional<CompressedCluster> compressed;

  std::uint64_t end() const { return guest_offset + length; }
  bool operator==(const GuestExtent&) const = default;
};
std::string to_string(const GuestExtent& extent);

// Returns false to stop the walk early.
using ExtentVisitor = std::function<bool(const GuestExtent&)>;

// Joins extents that follow each other with the same state and contiguous host offsets
// (never compressed ones), so a huge sparse image yields few extents.
class ExtentMerger {
 public:
  explicit ExtentMerger(const ExtentVisitor& visit) : visit_(visit) {}
  // Returns false once the visitor asked to stop.
  bool add(const GuestExtent& next);
  bool finish();

 private:
  const ExtentVisitor& visit_;
  std::optional<GuestExtent> pending_;
  bool stopped_ = false;
};

}  // namespace chaincheck::impl
