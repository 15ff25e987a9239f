#include "model/scenario/rebuild.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "model/semantics/chain.hpp"
#include "model/scenario/model_system.hpp"

namespace chaincheck::model {

const char* to_string(RebuildStrategy s) {
  switch (s) {
    case RebuildStrategy::BaseAllocation: return "base-allocation";
    case RebuildStrategy::AllocationDepth: return "allocation-depth";
  }
  return "?";
}

std::optional<RebuildStrategy> strategy_from_string(const std::string& s) {
  for (RebuildStrategy r : all_rebuild_strategies())
    if (s == to_string(r)) return r;
  return std::nullopt;
}

const std::vector<RebuildStrategy>& all_rebuild_strategies() {
  static const std::vector<RebuildStrategy> all = {RebuildStrategy::BaseAllocation,
                                                   RebuildStrategy::AllocationDepth};
  return all;
}

const char* to_string(PlanAction a) {
  switch (a) {
    case PlanAction::Copy: return "copy";
    case PlanAction::Zero: return "zero";
    case PlanAction::Skip: return "skip";
  }
  return "?";
}

namespace {

void push_plan(std::vector<PlanExtent>& plan, u64 start, u64 length, PlanAction a) {
  if (length == 0) return;
  if (!plan.empty() && plan.back().action == a && plan.back().end() == start) {
    plan.back().length += length;
  } else {
    plan.push_back({start, length, a});
  }
}

}  // namespace

std::vector<PlanExtent> rebuild_plan(RebuildStrategy strategy, const std::vector<NbdExtent>& base_allocation,
                                     const std::vector<NbdExtent>& allocation_depth) {
  std::vector<PlanExtent> plan;
  if (strategy == RebuildStrategy::BaseAllocation) {
    // Seed 004 (Nir Soffer): "Zero areas which are holes (not allocated in this image)
    // should be reported as NBD_STATE_HOLE": the tool skips HOLE, zeroes ZERO, copies the rest.
    for (const NbdExtent& e : base_allocation) {
      PlanAction a = (e.value & kNbdHole) ? PlanAction::Skip
                     : (e.value & kNbdZero) ? PlanAction::Zero
                                            : PlanAction::Copy;
      push_plan(plan, e.start, e.length, a);
    }
    return plan;
  }
  // Seed 004 (Eric Blake): "local + hole,zero ... you MUST write this cluster"; depth 0
  // (from the backing, docs/interop/nbd.txt) can be omitted. HOLE without ZERO says nothing
  // about the bytes, so local non-ZERO extents are copied.
  for (const MergedExtent& m : merge_contexts({base_allocation, allocation_depth})) {
    PlanAction a = m.values[1] != 1 ? PlanAction::Skip
                   : (m.values[0] & kNbdZero) ? PlanAction::Zero
                                              : PlanAction::Copy;
    push_plan(plan, m.start, m.length, a);
  }
  return plan;
}

std::string describe(const std::vector<ByteRange>& ranges) {
  if (ranges.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < ranges.size(); ++i)
    out += (i ? ", " : "") + std::to_string(ranges[i].start) + "+" + std::to_string(ranges[i].length);
  return out;
}

namespace {

void push_range(std::vector<ByteRange>& out, u64 start, u64 end) {
  if (end <= start) return;
  if (!out.empty() && out.back().end() == start) {
    out.back().length += end - start;
  } else {
    out.push_back({start, end - start});
  }
}

// Value at `pos` of a run list walked forward with a cursor; nullopt past its end.
std::optional<std::uint8_t> value_at(const std::vector<Extent<std::uint8_t>>& runs, std::size_t& i, u64 pos,
                                     u64& run_end) {
  while (i < runs.size() && runs[i].end() <= pos) ++i;
  if (i == runs.size() || runs[i].start > pos) {
    run_end = i == runs.size() ? UINT64_MAX : runs[i].start;
    return std::nullopt;
  }
  run_end = runs[i].end();
  return runs[i].value;
}

}  // namespace

std::vector<ByteRange> differing_ranges(const std::vector<Extent<std::uint8_t>>& a,
                                        const std::vector<Extent<std::uint8_t>>& b) {
  std::vector<ByteRange> out;
  u64 end = std::max(a.empty() ? 0 : a.back().end(), b.empty() ? 0 : b.back().end());
  std::size_t ia = 0, ib = 0;
  for (u64 pos = 0; pos < end;) {
    u64 ea = 0, eb = 0;
    auto va = value_at(a, ia, pos, ea);
    auto vb = value_at(b, ib, pos, eb);
    u64 next = std::min({ea, eb, end});
    if (va != vb) push_range(out, pos, next);
    pos = next;
  }
  return out;
}

std::vector<ByteRange> symmetric_difference(const std::vector<ByteRange>& a, const std::vector<ByteRange>& b) {
  // Boundaries of both lists; between two consecutive boundaries membership is constant.
  std::set<u64> cuts;
  for (const auto* l : {&a, &b})
    for (const ByteRange& r : *l) {
      cuts.insert(r.start);
      cuts.insert(r.end());
    }
  auto inside = [](const std::vector<ByteRange>& l, u64 pos) {
    for (const ByteRange& r : l)
      if (r.start <= pos && pos < r.end()) return true;
    return false;
  };
  std::vector<ByteRange> out;
  for (auto it = cuts.begin(); it != cuts.end() && std::next(it) != cuts.end(); ++it)
    if (inside(a, *it) != inside(b, *it)) push_range(out, *it, *std::next(it));
  return out;
}

std::vector<std::string> rebuild_chain(const Scenario& s) {
  if (!s.export_spec) return {};
  const GraphSpec* g = &s.export_spec->graph;
  while (!g->image && g->child) g = g->child.get();  // through the filters on top
  if (!g->image) return {};
  std::map<std::string, std::optional<std::string>> backing;  // what the create steps record
  for (const Step& step : s.steps) {
    if (auto* c = std::get_if<CreateStep>(&step)) backing[c->options.name] = c->options.backing_file;
    if (auto* t = std::get_if<TruncateStep>(&step)) backing.emplace(t->name, std::nullopt);
  }
  std::vector<std::string> chain;
  std::optional<std::string> name = *g->image;
  while (name) {
    auto it = backing.find(*name);
    if (it == backing.end() || std::find(chain.begin(), chain.end(), *name) != chain.end()) return {};
    chain.push_back(*name);
    name = it->second;
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

std::string rebuilt_image_name(RebuildStrategy s, std::size_t index) {
  return std::string("rebuilt-") + to_string(s) + "-" + std::to_string(index) + ".qcow2";
}

std::string describe(const RebuildTarget& t) {
  return "qcow2 cluster " + std::to_string(u64{1} << t.cluster_bits) + (t.extended_l2 ? " extended_l2" : "") +
         ", zeroes " + (t.no_hole ? "with NO_HOLE" : "without NO_HOLE") +
         (t.discard_unmap ? ", qemu-nbd --discard=unmap" : "");
}

RebuildResult predict_rebuild(const ModelState& s, const std::vector<std::string>& chain, RebuildStrategy strategy,
                              const RebuildTarget& target) {
  RebuildResult r;
  r.strategy = strategy;
  ModelState out = s;  // the rebuilt images are created beside the originals
  try {
    std::optional<std::string> below;
    for (std::size_t i = 0; i < chain.size(); ++i) {
      // Each layer exported alone: json:{"driver":"qcow2","backing":null,...} (seed 004).
      Graph g = open_image(s, chain[i], /*backing_null=*/true);
      LayerRebuild l;
      l.image = chain[i];
      l.size = node_length(s, g, g.root);
      u64 min_block = node_alignment(s, g, g.root);
      l.base_allocation = nbd_extents(s, g, NbdContext::BaseAllocation, 0, l.size, min_block);
      l.allocation_depth = nbd_extents(s, g, NbdContext::AllocationDepth, 0, l.size, min_block);
      l.plan = rebuild_plan(strategy, l.base_allocation, l.allocation_depth);
      // qemu-img create -f qcow2 -o cluster_size=..,extended_l2=.. [-b BELOW -F qcow2] NAME SIZE
      CreateOptions o;
      o.name = rebuilt_image_name(strategy, i);
      o.cluster_bits = target.cluster_bits;
      o.extended_l2 = target.extended_l2;
      o.size = l.size;
      o.backing_file = below;
      if (below) o.backing_format = ImageFormat::Qcow2;
      if (auto e = create_image(out, o)) throw std::invalid_argument("create " + o.name + ": " + e->message);
      // Written through a writable qemu-nbd export: BDRV_O_UNMAP only with --discard=unmap;
      // NBD_CMD_WRITE_ZEROES without NO_HOLE asks for MAY_UNMAP (nbd/server.c).
      Graph rg = open_image(out, o.name);
      OpenOptions nbd_open{target.discard_unmap};
      std::vector<Extent<std::uint8_t>> bytes = content(s, g, g.root, 0, l.size);
      for (const PlanExtent& p : l.plan) {
        std::optional<OpError> e;
        if (p.action == PlanAction::Zero) {
          e = apply(out, rg, {OpKind::WriteZeroes, p.start, p.length, 0, !target.no_hole}, nbd_open);
        } else if (p.action == PlanAction::Copy) {
          for (const auto& run : bytes) {
            u64 a = std::max(run.start, p.start), b = std::min(run.end(), p.end());
            if (a < b && !e) e = apply(out, rg, {OpKind::Write, a, b - a, run.value, false}, nbd_open);
          }
        }
        if (e) throw std::invalid_argument("write into " + o.name + ": " + e->message);
      }
      r.layers.push_back(std::move(l));
      below = o.name;
    }
    if (chain.empty()) return r;
    Graph orig = open_image(s, chain.back());
    Graph rebuilt = open_image(out, *below);
    r.wrong = differing_ranges(content(s, orig, orig.root, 0, node_length(s, orig, orig.root)),
                               content(out, rebuilt, rebuilt.root, 0, node_length(out, rebuilt, rebuilt.root)));
  } catch (const std::invalid_argument& e) {
    r.error = e.what();
  }
  return r;
}

RebuildObservation ModelRebuilder::rebuild(const Scenario& sc, const std::vector<RebuildStrategy>& strategies,
                                           const RebuildTarget& target) {
  RebuildObservation obs;
  ModelState s;
  s.host = sc.host;
  for (const Step& step : sc.steps) obs.step_errors.push_back(apply_step(s, step));
  obs.chain = rebuild_chain(sc);
  if (obs.chain.empty()) {
    obs.error = "the scenario exports no image chain to rebuild";
    return obs;
  }
  for (const std::string& name : obs.chain)
    if (s.find(name) < 0) {
      obs.error = "chain image '" + name + "' was not created";
      return obs;
    }
  for (RebuildStrategy st : strategies) obs.results.push_back(predict_rebuild(s, obs.chain, st, target));
  return obs;
}

}  // namespace chaincheck::model
