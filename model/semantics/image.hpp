// The on-disk state of one image file, as the model sees it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/semantics/dirty_bitmap.hpp"
#include "model/semantics/extent_map.hpp"

namespace chaincheck::model {

enum class ImageFormat { Raw, Qcow2 };
enum class Preallocation { Off, Metadata, Falloc, Full };

// qcow2 (sub)cluster types, named as in QEMU's qcow2.h QCow2SubclusterType.
enum class ClusterType : std::uint8_t {
  Unallocated,       // UNALLOCATED_PLAIN: defers to the backing file
  UnallocatedAlloc,  // UNALLOCATED_ALLOC (extended L2): host cluster reserved, still defers
  ZeroPlain,         // ZERO_PLAIN: reads as zero, no host cluster
  ZeroAlloc,         // ZERO_ALLOC: reads as zero, host cluster kept
  Normal,            // NORMAL: data at a host offset
  Compressed,        // COMPRESSED: data, no directly usable host offset
};

const char* to_string(ClusterType t);
const char* to_string(ImageFormat f);
const char* to_string(Preallocation p);

// State of one run of (sub)clusters. host_delta = host offset - guest offset, so a run
// that is contiguous on the host has one value and merges like any other.
struct Qcow2Unit {
  ClusterType type = ClusterType::Unallocated;
  std::int64_t host_delta = 0;  // meaningful for Normal, ZeroAlloc, UnallocatedAlloc
  bool host_hole = false;       // Normal cluster over a host hole (preallocation=metadata)
  bool operator==(const Qcow2Unit&) const = default;
};

bool has_host_cluster(ClusterType t);

// What the host filesystem does; the drivers measure it, the model takes it as a parameter.
struct HostFs {
  u64 granularity = 4096;          // SEEK_DATA/SEEK_HOLE block size
  bool zeroing_makes_holes = true; // fallocate ZERO_RANGE / PUNCH_HOLE read back as holes
};

struct RawImage {
  u64 file_size = 0;
  ExtentMap<std::uint8_t> content;  // guest bytes over [0, file_size)
  ExtentMap<bool> host_data;        // true where SEEK_DATA finds data, over [0, file_size)
};

struct Qcow2Image {
  u64 virtual_size = 0;
  unsigned cluster_bits = 16;
  bool extended_l2 = false;
  bool v3 = true;  // compat=1.1 (v3) or 0.10 (v2)
  Preallocation preallocation = Preallocation::Off;
  std::optional<std::string> backing_file;  // as recorded in the header
  std::optional<ImageFormat> backing_format;
  ExtentMap<Qcow2Unit> units;        // at subcluster granularity
  ExtentMap<std::uint8_t> data;      // bytes of Normal/Compressed units
  u64 next_host_cluster = 0;         // nominal allocator: host offsets are not predicted exactly
  // qcow2_detect_metadata_preallocation: decided once, at the first status call of an open.
  bool metadata_preallocated = false;
  std::vector<DirtyBitmap> bitmaps;  // persistent bitmaps, in creation order (model/semantics/bitmaps.hpp)

  u64 cluster_size() const { return u64{1} << cluster_bits; }
  u64 subcluster_size() const { return extended_l2 ? cluster_size() / 32 : cluster_size(); }
  // qcow2_get_host_offset answers at most to the end of the L2 slice holding `pos`
  // (l2-cache-entry-size defaults to min(cluster, 4k); an L2 entry is 8 bytes, 16 extended).
  u64 l2_slice_end(u64 pos) const {
    u64 slice = std::min<u64>(cluster_size(), 4096) / (extended_l2 ? 16 : 8) * cluster_size();
    return pos / slice * slice + slice;
  }
};

struct Image {
  std::string name;
  std::variant<RawImage, Qcow2Image> body;

  ImageFormat format() const {
    return std::holds_alternative<RawImage>(body) ? ImageFormat::Raw : ImageFormat::Qcow2;
  }
  const RawImage& raw() const { return std::get<RawImage>(body); }
  RawImage& raw() { return std::get<RawImage>(body); }
  const Qcow2Image& qcow2() const { return std::get<Qcow2Image>(body); }
  Qcow2Image& qcow2() { return std::get<Qcow2Image>(body); }
  // Guest-visible length of the image opened alone. Raw is sector-granular in QEMU 7.2
  // (refresh_total_sectors rounds up to 512; iotest 241).
  u64 guest_length() const;
};

inline u64 round_up(u64 v, u64 a) { return (v + a - 1) / a * a; }
inline u64 round_down(u64 v, u64 a) { return v / a * a; }

}  // namespace chaincheck::model
