#include "model/semantics/image.hpp"

namespace chaincheck::model {

const char* to_string(ClusterType t) {
  switch (t) {
    case ClusterType::Unallocated: return "unallocated";
    case ClusterType::UnallocatedAlloc: return "unallocated-alloc";
    case ClusterType::ZeroPlain: return "zero-plain";
    case ClusterType::ZeroAlloc: return "zero-alloc";
    case ClusterType::Normal: return "normal";
    case ClusterType::Compressed: return "compressed";
  }
  return "?";
}

const char* to_string(ImageFormat f) { return f == ImageFormat::Raw ? "raw" : "qcow2"; }

const char* to_string(Preallocation p) {
  switch (p) {
    case Preallocation::Off: return "off";
    case Preallocation::Metadata: return "metadata";
    case Preallocation::Falloc: return "falloc";
    case Preallocation::Full: return "full";
  }
  return "?";
}

bool has_host_cluster(ClusterType t) {
  return t == ClusterType::Normal || t == ClusterType::ZeroAlloc ||
         t == ClusterType::UnallocatedAlloc;
}

u64 Image::guest_length() const {
  if (auto* r = std::get_if<RawImage>(&body)) return round_up(r->file_size, 512);
  return qcow2().virtual_size;
}

}  // namespace chaincheck::model
