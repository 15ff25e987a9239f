#include "model/generate/rebuild_generator.hpp"

#include <algorithm>

namespace chaincheck::model {
namespace {

constexpr u64 KiB = 1024;

// A multiple of a unit that matters (cluster, subcluster, sector), nudged now and then.
u64 near_boundary(Chooser& c, u64 limit, const std::vector<u64>& units) {
  u64 unit = units[c.range(0, units.size() - 1)];
  u64 v = c.range(0, std::max<u64>(1, limit / unit)) * unit;
  switch (c.weighted({8, 1, 1})) {
    case 1: v += 512; break;
    case 2: v += c.range(1, 511); break;
    default: break;
  }
  return std::min(v, limit);
}

GuestOp upper_op(Chooser& c, u64 size, u64 cluster, u64 subcluster) {
  GuestOp op;
  // Zeroes over backing data first: the case seed 004 is about.
  switch (c.weighted({6, 3, 3, 1})) {
    case 0: op.kind = OpKind::WriteZeroes; op.may_unmap = c.chance(50); break;
    case 1: op.kind = OpKind::Write; break;
    case 2: op.kind = OpKind::Discard; break;
    default: op.kind = OpKind::WriteCompressed; break;
  }
  std::vector<u64> units = {cluster, subcluster, 512};
  if (op.kind == OpKind::WriteCompressed) {
    op.offset = c.range(0, size / cluster - 1) * cluster;  // one whole cluster
    op.length = std::min(cluster, size - op.offset);
  } else {
    op.offset = near_boundary(c, size - 512, units);
    op.length = std::max<u64>(1, near_boundary(c, std::min(size - op.offset, 3 * cluster), units));
    op.length = std::min(op.length, size - op.offset);
  }
  op.pattern = static_cast<std::uint8_t>(c.range(1, 255));
  return op;
}

}  // namespace

Scenario generate_rebuild_scenario(Chooser& c) {
  Scenario s;
  s.name = "rebuild";
  unsigned layers = static_cast<unsigned>(c.range(2, 3));
  u64 size = c.chance(30) ? 512 * KiB : 256 * KiB;
  std::string below;
  ImageFormat below_format = ImageFormat::Qcow2;
  for (unsigned i = 0; i < layers; ++i) {
    CreateOptions o;
    bool raw = i == 0 && c.chance(40);
    o.format = raw ? ImageFormat::Raw : ImageFormat::Qcow2;
    o.name = "l" + std::to_string(i) + (raw ? ".raw" : ".qcow2");
    u64 cluster = 4096, subcluster = 512;
    if (!raw) {
      static const unsigned bits[] = {16, 12, 15, 9};
      o.cluster_bits = bits[c.range(0, 3)];
      o.extended_l2 = o.cluster_bits >= 14 && c.chance(30);
      cluster = u64{1} << o.cluster_bits;
      subcluster = o.extended_l2 ? cluster / 32 : cluster;
    }
    if (i == 0) {
      o.size = size;
    } else {
      o.backing_file = below;
      o.backing_format = below_format;
      if (c.chance(20)) o.size = size;  // explicit size, else inherited
    }
    s.steps.push_back(CreateStep{o});
    below = o.name;
    below_format = o.format;
    if (i == 0) {
      // Backing data everywhere it matters: one long write and a few patterned ones.
      GuestOp fill{OpKind::Write, 0, size - (c.chance(20) ? 64 * KiB : 0), 65, false};
      s.steps.push_back(IoStep{GraphSpec::of_image(o.name), fill});
      unsigned writes = static_cast<unsigned>(c.range(0, 2));
      for (unsigned k = 0; k < writes; ++k) {
        GuestOp w{OpKind::Write, near_boundary(c, size - 512, {cluster, 512}), 0,
                  static_cast<std::uint8_t>(c.range(66, 90)), false};
        w.length = std::min<u64>(size - w.offset, std::max<u64>(512, near_boundary(c, 2 * cluster, {cluster, 512})));
        s.steps.push_back(IoStep{GraphSpec::of_image(o.name), w});
      }
    } else {
      unsigned ops = static_cast<unsigned>(c.range(1, 4));
      for (unsigned k = 0; k < ops; ++k)
        s.steps.push_back(IoStep{GraphSpec::of_image(o.name), upper_op(c, size, cluster, subcluster)});
    }
  }
  ExportSpec ex;
  ex.graph = GraphSpec::of_image(below);
  s.export_spec = ex;
  s.queries = {Query::Content};
  return s;
}

RebuildTarget generate_rebuild_target(Chooser& c) {
  RebuildTarget t;
  static const unsigned bits[] = {16, 9, 12, 15, 17};
  t.cluster_bits = bits[c.range(0, 4)];
  t.extended_l2 = t.cluster_bits >= 14 && c.chance(40);
  t.no_hole = c.chance(50);
  t.discard_unmap = c.chance(50);
  return t;
}

}  // namespace chaincheck::model
