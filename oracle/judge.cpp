#include "oracle/judge.hpp"

#include <algorithm>
#include <set>

#include "oracle/dirty_bitmap_judge.hpp"
#include "oracle/nbd_spec.hpp"
#include "oracle/nbdkit_judge.hpp"

namespace chaincheck::oracle {

using model::MapEntry;
using model::NbdExtent;

namespace {

const char* kBase = "base:allocation";
const char* kDepth = "qemu:allocation-depth";
const char* kImgMap = "qemu-img map";
const char* kIoMap = "qemu-io map";
const char* kRead = "read";
const char* kLayout = "qcow2 on-disk (inspector)";

bool allocated_type(model::ClusterType t) {
  return t != model::ClusterType::Unallocated && t != model::ClusterType::UnallocatedAlloc;
}
std::vector<NbdExtent> layout_types(const std::vector<model::LayoutExtent>& l) {
  std::vector<NbdExtent> out;
  for (const auto& e : l) out.push_back({e.start, e.length, static_cast<std::uint32_t>(e.type)});
  return model::merge_equal(out);
}

// A map entry packed into one value so extent algebra can compare maps.
std::uint32_t pack(const MapEntry& m) {
  return (static_cast<std::uint32_t>(m.depth) << 4) | (m.present ? 8u : 0u) | (m.zero ? 4u : 0u) |
         (m.data ? 2u : 0u) | (m.offset ? 1u : 0u);
}
std::string unpack_text(std::uint32_t v) {
  return "depth " + std::to_string(v >> 4) + (v & 8 ? " present" : " absent") + (v & 4 ? " zero" : "") +
         (v & 2 ? " data" : "") + (v & 1 ? " offset" : "");
}
std::vector<NbdExtent> map_extents(const std::vector<MapEntry>& map) {
  std::vector<NbdExtent> out;
  for (const MapEntry& m : map) out.push_back({m.start, m.length, pack(m)});
  return model::merge_equal(out);
}
std::vector<NbdExtent> io_extents(const std::vector<model::IoMapLine>& lines) {
  std::vector<NbdExtent> out;
  for (const auto& l : lines) out.push_back({l.start, l.length, l.allocated ? 1u : 0u});
  return model::merge_equal(out);
}
std::string base_text(std::uint32_t v) {
  std::string s;
  if (v & model::kNbdHole) s += "hole";
  if (v & model::kNbdZero) s += s.empty() ? "zero" : ",zero";
  return s.empty() ? "data" : s;
}
// Depths rounded to `align` with the sticky rule of model/semantics/rounding.hpp (shallowest non-zero).
std::vector<NbdExtent> round_depths(const std::vector<NbdExtent>& in, u64 align) {
  if (align <= 1 || in.empty()) return in;
  std::vector<NbdExtent> out;
  u64 end = in.back().end();
  std::size_t i = 0;
  for (u64 blk = model::round_down(in.front().start, align); blk < end; blk += align) {
    u64 be = std::min(blk + align, end);
    std::uint32_t v = 0;
    while (i < in.size() && in[i].end() <= blk) ++i;
    for (std::size_t k = i; k < in.size() && in[k].start < be; ++k)
      if (in[k].value && (!v || in[k].value < v)) v = in[k].value;
    out.push_back({blk, be - blk, v});
  }
  return model::merge_equal(out);
}

std::string depth_text(std::uint32_t v) {
  return v == 0 ? "absent (0)" : v == 1 ? "local (1)" : "backing depth " + std::to_string(v);
}

struct Diff {
  u64 offset, length;
  std::uint32_t a, b;
};
// Ranges where two extent lists disagree (over the range both describe).
std::vector<Diff> diff(const std::vector<NbdExtent>& a, const std::vector<NbdExtent>& b) {
  std::vector<Diff> out;
  for (const auto& m : model::merge_contexts({a, b})) {
    if (m.values[0] == m.values[1]) continue;
    if (!out.empty() && out.back().offset + out.back().length == m.start && out.back().a == m.values[0] &&
        out.back().b == m.values[1]) {
      out.back().length += m.length;
    } else {
      out.push_back({m.start, m.length, m.values[0], m.values[1]});
    }
  }
  return out;
}

Finding make(FindingClass cls, std::vector<std::string> ifs, std::string rule, u64 off, u64 len,
             std::string expected, std::string observed, std::string summary) {
  return make_finding(cls, std::move(ifs), std::move(rule), off, len, std::move(expected), std::move(observed),
                      std::move(summary));
}

bool nonzero_in(const std::vector<model::Extent<std::uint8_t>>& content, u64 off, u64 len, u64* first) {
  for (const auto& r : content) {
    if (r.end() <= off || r.start >= off + len || r.value == 0) continue;
    *first = std::max(r.start, off);
    return true;
  }
  return false;
}

}  // namespace

std::vector<Finding> spec_findings(const model::NbdObservation& nbd, const JudgeContext& ctx) {
  std::vector<Finding> out;
  ReplyLimits lim{nbd.export_size, nbd.block_size.minimum, ctx.layers};
  for (const auto& r : nbd.replies)
    for (Finding& f : check_block_status_reply(r, lim)) out.push_back(std::move(f));
  return out;
}

std::vector<Finding> content_findings(const model::Observation& obs) {
  std::vector<Finding> out;
  if (!obs.content) return out;
  const auto& bytes = *obs.content;
  u64 first = 0;
  if (obs.nbd) {
    for (const NbdExtent& e : model::context_extents(*obs.nbd, kBase)) {
      if ((e.value & model::kNbdZero) && nonzero_in(bytes, e.start, e.length, &first))
        out.push_back(make(FindingClass::Content, {kBase, kRead}, "zero-flag-over-nonzero-bytes", e.start, e.length,
                           "bytes read as zero", "byte at " + std::to_string(first) + " is non-zero",
                           "ZERO is set but the range reads non-zero bytes"));
    }
    for (const NbdExtent& e : model::context_extents(*obs.nbd, kDepth)) {
      if (e.value == 0 && nonzero_in(bytes, e.start, e.length, &first))
        out.push_back(make(FindingClass::Content, {kDepth, kRead}, "absent-range-reads-nonzero", e.start, e.length,
                           "absent from the whole chain: reads as zero",
                           "byte at " + std::to_string(first) + " is non-zero",
                           "reported absent from every layer, yet it reads non-zero"));
    }
  }
  if (obs.img_map) {
    for (const MapEntry& m : *obs.img_map)
      if (m.zero && nonzero_in(bytes, m.start, m.length, &first))
        out.push_back(make(FindingClass::Content, {kImgMap, kRead}, "zero-flag-over-nonzero-bytes", m.start, m.length,
                           "bytes read as zero", "byte at " + std::to_string(first) + " is non-zero",
                           "map says zero but the range reads non-zero bytes"));
  }
  return out;
}

std::vector<Finding> cross_interface_findings(const model::Observation& obs) {
  std::vector<Finding> out;
  if (obs.img_map && obs.nbd) {
    // present at 0-based depth d  <=>  allocation depth d+1; absent <=> 0.
    std::vector<NbdExtent> from_map;
    std::vector<NbdExtent> base_from_map;
    for (const MapEntry& m : *obs.img_map) {
      from_map.push_back({m.start, m.length, m.present ? static_cast<std::uint32_t>(m.depth + 1) : 0u});
      base_from_map.push_back({m.start, m.length, (m.data ? 0u : model::kNbdHole) | (m.zero ? model::kNbdZero : 0u)});
    }
    // NBD answers are rounded to the advertised minimum block; round the map's side alike.
    auto map_depths = round_depths(model::merge_equal(from_map), obs.nbd->block_size.minimum);
    for (const Diff& d : diff(map_depths, model::context_extents(*obs.nbd, kDepth)))
      out.push_back(make(FindingClass::CrossInterface, {kImgMap, kDepth}, "map-depth-vs-allocation-depth", d.offset,
                         d.length, "map implies " + depth_text(d.a), "allocation-depth says " + depth_text(d.b),
                         "qemu-img map depth/present and qemu:allocation-depth disagree"));
    if (obs.nbd->block_size.minimum <= 1) {
      for (const Diff& d : diff(model::merge_equal(base_from_map), model::context_extents(*obs.nbd, kBase)))
        out.push_back(make(FindingClass::CrossInterface, {kImgMap, kBase}, "map-data-zero-vs-base-allocation",
                           d.offset, d.length, "map implies " + base_text(d.a), "base:allocation says " + base_text(d.b),
                           "qemu-img map data/zero and base:allocation disagree"));
    }
  }
  if (obs.top_layout && obs.io_map) {
    // qemu-io map reports the top layer's allocation: exactly the clusters the on-disk L2
    // entries say are allocated (zero clusters included).
    std::vector<NbdExtent> alloc;
    for (const auto& e : *obs.top_layout) alloc.push_back({e.start, e.length, allocated_type(e.type) ? 1u : 0u});
    for (const Diff& d : diff(model::merge_equal(alloc), io_extents(*obs.io_map)))
      out.push_back(make(FindingClass::CrossInterface, {kLayout, kIoMap}, "on-disk-vs-qemu-io-allocation", d.offset,
                         d.length, d.a ? "on disk: allocated" : "on disk: not allocated",
                         d.b ? "qemu-io: allocated" : "qemu-io: not allocated",
                         "qemu-io map and the on-disk L2 entries disagree"));
  }
  if (obs.top_layout && obs.img_map) {
    // A map entry of the top layer (depth 0) with an offset names the host bytes: the L2
    // entries must map the same guest range to the same host offsets.
    for (const MapEntry& m : *obs.img_map) {
      if (m.depth != 0 || !m.offset) continue;
      for (const auto& e : *obs.top_layout) {
        if (e.end() <= m.start || e.start >= m.start + m.length) continue;
        u64 lo = std::max(e.start, m.start);
        u64 want = *m.offset + (lo - m.start);
        bool ok = e.host_offset && *e.host_offset + (lo - e.start) == want;
        if (!ok) {
          out.push_back(make(FindingClass::CrossInterface, {kImgMap, kLayout}, "map-offset-vs-on-disk", lo,
                             std::min(e.end(), m.start + m.length) - lo, "host offset " + std::to_string(want),
                             e.host_offset ? "L2 maps it to " + std::to_string(*e.host_offset + (lo - e.start))
                                           : std::string("L2 entry has no host cluster (") + model::to_string(e.type) + ")",
                             "qemu-img map's offset is not where the L2 entry points"));
          break;
        }
      }
    }
  }
  if (obs.img_map && obs.io_map) {
    std::vector<NbdExtent> top;
    for (const MapEntry& m : *obs.img_map) top.push_back({m.start, m.length, (m.present && m.depth == 0) ? 1u : 0u});
    for (const Diff& d : diff(model::merge_equal(top), io_extents(*obs.io_map)))
      out.push_back(make(FindingClass::CrossInterface, {kImgMap, kIoMap}, "map-vs-qemu-io-top-allocation", d.offset,
                         d.length, d.a ? "map: top layer present" : "map: not in the top layer",
                         d.b ? "qemu-io: allocated" : "qemu-io: not allocated",
                         "qemu-io map and qemu-img map disagree about the top layer"));
  }
  return out;
}

Verdict judge(const model::Observation& predicted, const model::Observation& observed, const JudgeContext& ctx) {
  Verdict v;
  auto add = [&](std::vector<Finding> fs) {
    for (Finding& f : fs) {
      if (f.where.empty()) f.where = ctx.where;
      f.graph = ctx.graph;
      f.versions = observed.versions;
      v.findings.push_back(std::move(f));
    }
  };
  // Steps: the model and the tools must agree on what is refused.
  std::vector<Finding> steps;
  for (std::size_t i = 0; i < predicted.step_errors.size() && i < observed.step_errors.size(); ++i) {
    bool p = !predicted.step_errors[i].empty(), o = !observed.step_errors[i].empty();
    if (p != o) {
      Finding f = make(FindingClass::ModelDivergence, {"step"}, p ? "model-refuses-step" : "tool-refuses-step", 0, 0,
                       p ? "refused: " + predicted.step_errors[i] : "succeeds",
                       o ? "refused: " + observed.step_errors[i] : "succeeded",
                       p ? "the model refuses a step the tools accept" : "the tools refuse a step the model accepts");
      f.where = "step " + std::to_string(i + 1);
      steps.push_back(f);
    }
  }
  add(steps);
  // The model says every query is answered: a server that aborts instead is a finding,
  // whatever else could not be compared.
  if (!observed.server_crash.empty()) {
    add({make(FindingClass::ModelDivergence, {"read"}, "server-crashed", 0, 0, "answered",
              observed.server_crash, "the server died during the session")});
  }
  // Once a step went differently the model no longer describes the images: anything
  // compared after it would be a consequence, not a finding of its own.
  if (!steps.empty() || !observed.error.empty()) return v;

  std::set<std::string> explained;  // interfaces with a higher-class finding
  auto note = [&](const std::vector<Finding>& fs) {
    for (const Finding& f : fs)
      for (const auto& i : f.interfaces) explained.insert(i);
  };
  if (observed.nbd) {
    auto fs = spec_findings(*observed.nbd, ctx);
    note(fs);
    add(fs);
  }
  {
    auto fs = content_findings(observed);
    note(fs);
    add(fs);
  }
  {
    auto fs = cross_interface_findings(observed);
    note(fs);
    add(fs);
  }

  // Model divergence, per interface not already explained above.
  std::vector<Finding> div;
  if (predicted.img_map && observed.img_map && !explained.count(kImgMap)) {
    for (const Diff& d : diff(map_extents(model::canonical_map(*predicted.img_map)),
                              map_extents(model::canonical_map(*observed.img_map)))) {
      if ((d.a ^ d.b) == 4u && (d.b & 4u) && observed.content) {
        v.imprecisions.push_back({kImgMap, d.offset, d.length,
                                  "model: " + unpack_text(d.a) + ", qemu-img (more precise): " + unpack_text(d.b)});
        continue;
      }
      if ((d.a ^ d.b) == 4u && (d.a & 4u)) {
        // qemu-img left out a zero the model knows (the RECURSE heuristic did not fire).
        v.imprecisions.push_back({kImgMap, d.offset, d.length,
                                  "model: " + unpack_text(d.a) + ", qemu-img (less precise): " + unpack_text(d.b)});
        continue;
      }
      div.push_back(make(FindingClass::ModelDivergence, {kImgMap}, "map-entry", d.offset, d.length, unpack_text(d.a),
                         unpack_text(d.b), "qemu-img map differs from the model"));
    }
  }
  if (predicted.io_map && observed.io_map && !explained.count(kIoMap)) {
    for (const Diff& d : diff(io_extents(*predicted.io_map), io_extents(*observed.io_map)))
      div.push_back(make(FindingClass::ModelDivergence, {kIoMap}, "top-allocation", d.offset, d.length,
                         d.a ? "allocated" : "not allocated", d.b ? "allocated" : "not allocated",
                         "qemu-io map differs from the model"));
  }
  if (predicted.nbd && observed.nbd) {
    const auto& p = *predicted.nbd;
    const auto& o = *observed.nbd;
    if (p.export_size != o.export_size)
      div.push_back(make(FindingClass::ModelDivergence, {"nbd export"}, "export-size", 0, 0,
                         std::to_string(p.export_size), std::to_string(o.export_size), "export size differs"));
    if (p.block_size.minimum != o.block_size.minimum)
      div.push_back(make(FindingClass::ModelDivergence, {"nbd export"}, "minimum-block-size", 0, 0,
                         std::to_string(p.block_size.minimum), std::to_string(o.block_size.minimum),
                         "advertised minimum block size differs"));
    if (!explained.count(kBase)) {
      for (const Diff& d : diff(model::context_extents(p, kBase), model::context_extents(o, kBase))) {
        if ((d.b & ~d.a) == 0) {
          // The server said less than it could: allowed by the spec ("MAY always report 0").
          v.imprecisions.push_back({kBase, d.offset, d.length,
                                    "model: " + base_text(d.a) + ", server: " + base_text(d.b)});
          continue;
        }
        if ((d.a ^ d.b) == model::kNbdZero && (d.b & model::kNbdZero) && observed.content) {
          // The server knows more zeroes than the model predicts (e.g. qcow2's RECURSE into
          // host holes); the content check above has confirmed the bytes are zero.
          v.imprecisions.push_back({kBase, d.offset, d.length,
                                    "model: " + base_text(d.a) + ", server (more precise): " + base_text(d.b)});
          continue;
        }
        div.push_back(make(FindingClass::ModelDivergence, {kBase}, "base-allocation-flags", d.offset, d.length,
                           base_text(d.a), base_text(d.b), "base:allocation differs from the model"));
      }
    }
    if (!explained.count(kDepth)) {
      for (const Diff& d : diff(model::context_extents(p, kDepth), model::context_extents(o, kDepth)))
        div.push_back(make(FindingClass::ModelDivergence, {kDepth}, "allocation-depth", d.offset, d.length,
                           depth_text(d.a), depth_text(d.b), "qemu:allocation-depth differs from the model"));
    }
    for (Finding& f : dirty_bitmap_divergence(p, o, explained)) div.push_back(std::move(f));
  }
  if (predicted.top_layout && observed.top_layout && !explained.count(kLayout)) {
    for (const Diff& d : diff(layout_types(*predicted.top_layout), layout_types(*observed.top_layout)))
      div.push_back(make(FindingClass::ModelDivergence, {kLayout}, "cluster-type", d.offset, d.length,
                         model::to_string(static_cast<model::ClusterType>(d.a)),
                         model::to_string(static_cast<model::ClusterType>(d.b)),
                         "the on-disk cluster state differs from the model"));
  }
  if (predicted.content && observed.content && !explained.count(kRead)) {
    std::vector<NbdExtent> a, b;
    for (const auto& r : *predicted.content) a.push_back({r.start, r.length, r.value});
    for (const auto& r : *observed.content) b.push_back({r.start, r.length, r.value});
    for (const Diff& d : diff(a, b))
      div.push_back(make(FindingClass::ModelDivergence, {kRead}, "guest-content", d.offset, d.length,
                         "byte " + std::to_string(d.a), "byte " + std::to_string(d.b),
                         "the guest reads other bytes than the model predicts"));
  }
  add(div);
  // The second NBD server in front of the same export.
  for (Finding& f : nbdkit_findings(predicted, observed, ctx, v)) v.findings.push_back(std::move(f));
  return v;
}

}  // namespace chaincheck::oracle
