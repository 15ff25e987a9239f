// The seed transcript's chain, built through the drivers (live tests share it):
//   qemu-img create -f raw base.raw 262144
//   qemu-img create -f qcow2 -b base.raw -F raw top.qcow2
//   qemu-io -f raw -c "write -P 65 0 64k" -c "write -P 66 64k 64k" -c "write -P 67 128k 64k" base.raw
//   qemu-io -f qcow2 -c "write -P 69 64k 64k" -c "write -z 128k 64k" top.qcow2
#pragma once

#include <gtest/gtest.h>

#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/qemu_tools/qemu_io.hpp"

namespace chaincheck::impl::testing {

constexpr std::uint64_t KiB = 1024;

inline void build_seed_chain(const Workspace& ws) {
  QemuImg img(ws.path());
  CreateOptions base;
  base.format = "raw";
  base.size = 262144;
  img.create("base.raw", base);
  CreateOptions top;
  top.format = "qcow2";
  top.backing_file = "base.raw";
  top.backing_format = "raw";
  img.create("top.qcow2", top);

  QemuIoResult fill = QemuIoScript(ImageRef::file("base.raw", "raw"))
                          .write(0, 64 * KiB, 65)
                          .write(64 * KiB, 64 * KiB, 66)
                          .write(128 * KiB, 64 * KiB, 67)
                          .run(ws.path());
  ASSERT_TRUE(fill.ok()) << fill.first_error();
  QemuIoResult overlay = QemuIoScript(ImageRef::file("top.qcow2", "qcow2"))
                             .write(64 * KiB, 64 * KiB, 69)
                             .write_zeroes(128 * KiB, 64 * KiB)
                             .run(ws.path());
  ASSERT_TRUE(overlay.ok()) << overlay.first_error();
}

inline MapEntry entry(std::uint64_t start, std::uint64_t length, std::int64_t depth, bool present, bool zero,
                      bool data, std::optional<std::uint64_t> offset = std::nullopt) {
  return MapEntry{start, length, depth, present, zero, data, offset};
}

// What qemu-img 7.2 maps for the seed chain. The overlay's data cluster lands at 320 KiB:
// a fresh 64 KiB-cluster qcow2 holds header, refcount table, refcount block and L1 in its
// first four clusters, the L2 table allocated by the first write in the fifth.
inline std::vector<MapEntry> seed_map() {
  return {
      entry(0, 65536, 1, true, false, true, 0),             // base.raw, raw offset = guest offset
      entry(65536, 65536, 0, true, false, true, 327680),    // top's data cluster
      entry(131072, 65536, 0, true, true, false),           // top's zero cluster: no host offset
      entry(196608, 65536, 1, true, true, false, 196608),   // base.raw past its data: a hole, present
  };
}

}  // namespace chaincheck::impl::testing
