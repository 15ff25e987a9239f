// One persistent dirty bitmap of a qcow2 image (block/qcow2-bitmap.c stores them in the
// image; block/dirty-bitmap.c + util/hbitmap.c keep them in memory while it is open).
#pragma once

#include <string>

#include "model/semantics/extent_map.hpp"

namespace chaincheck::model {

struct DirtyBitmap {
  std::string name;
  u64 granularity = 65536;  // bytes per bit, a power of two 512..2^31
  bool enabled = true;      // disabled bitmaps ignore guest writes (bdrv_set_dirty)
  // Dirty bytes over [0, image length): whole granules, the last one clipped at the end
  // (hbitmap_set marks every granule a request touches; orig_size clips the last).
  ExtentMap<bool> dirty;
  // Stored in the image when it is closed (qemu-img bitmap's are; a QMP block-dirty-bitmap-add
  // one only with persistent=true: model/semantics/runtime_bitmaps.hpp). Not part of ==: the on-disk
  // bitmaps the inspector reads are all persistent.
  bool persistent = true;
  bool operator==(const DirtyBitmap& o) const {
    return name == o.name && granularity == o.granularity && enabled == o.enabled && dirty == o.dirty;
  }
};

}  // namespace chaincheck::model
