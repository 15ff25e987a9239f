#include "oracle/minimize.hpp"

#include <algorithm>

namespace chaincheck::oracle {

using namespace chaincheck::model;

namespace {

const CreateOptions* create_of(const Scenario& s, const std::string& name) {
  for (const Step& st : s.steps)
    if (auto* c = std::get_if<CreateStep>(&st))
      if (c->options.name == name) return &c->options;
  return nullptr;
}

bool mentions(const GraphSpec& g, const std::string& name) {
  return (g.image && *g.image == name) || (g.child && mentions(*g.child, name));
}

bool names_image(const Step& st, const std::string& name) {
  std::vector<std::string> v;
  if (auto* c = std::get_if<CommitStep>(&st)) v = images_named(*c);
  if (auto* r = std::get_if<RebaseStep>(&st)) v = images_named(*r);
  if (auto* x = std::get_if<ConvertStep>(&st)) v = images_named(*x);
  if (auto* j = std::get_if<StreamStep>(&st)) v = images_named(*j);
  if (auto* j = std::get_if<BlockCommitStep>(&st)) v = images_named(*j);
  if (auto* rb = std::get_if<RuntimeBitmapStep>(&st)) v = images_named(*rb);
  return std::find(v.begin(), v.end(), name) != v.end();
}

// Drop image `name`: its overlays take over its backing, operations on it disappear, and
// an export of it moves to its backing.
std::optional<Scenario> drop_layer(const Scenario& s, const std::string& name) {
  const CreateOptions* dropped = create_of(s, name);
  if (!dropped) return std::nullopt;
  CreateOptions gone = *dropped;
  Scenario out = s;
  out.steps.clear();
  for (const Step& st : s.steps) {
    if (auto* c = std::get_if<CreateStep>(&st)) {
      if (c->options.name == name) continue;
      CreateStep copy = *c;
      if (copy.options.backing_file == name) {
        copy.options.backing_file = gone.backing_file;
        copy.options.backing_format = gone.backing_format;
        if (!copy.options.size) copy.options.size = gone.size;
        if (!copy.options.backing_file && !copy.options.size) return std::nullopt;
        if (!copy.options.backing_file) copy.options.preallocation = copy.options.preallocation;
      }
      out.steps.push_back(copy);
    } else if (auto* io = std::get_if<IoStep>(&st)) {
      if (mentions(io->graph, name)) continue;
      out.steps.push_back(st);
    } else if (names_image(st, name)) {
      return std::nullopt;  // a chain operation on the layer: keep the layer
    } else {
      out.steps.push_back(st);
    }
  }
  if (out.export_spec && mentions(out.export_spec->graph, name)) {
    if (!gone.backing_file) return std::nullopt;
    // Only a plain export of the top image can move down a layer.
    GraphSpec* g = &out.export_spec->graph;
    while (!g->image && g->child) g = g->child.get();
    if (!g->image || *g->image != name || g->backing == GraphSpec::Backing::Explicit) return std::nullopt;
    g->image = *gone.backing_file;
    if (create_of(out, *gone.backing_file) && create_of(out, *gone.backing_file)->format == ImageFormat::Raw)
      g->backing = GraphSpec::Backing::FromHeader;
  }
  return out;
}

}  // namespace

std::vector<Scenario> simplifications(const Scenario& s) {
  std::vector<Scenario> out;
  // 1. Remove one guest operation or chain operation, last first.
  for (std::size_t i = s.steps.size(); i-- > 0;) {
    const Step& st = s.steps[i];
    if (!std::holds_alternative<IoStep>(st) && !std::holds_alternative<CommitStep>(st) &&
        !std::holds_alternative<RebaseStep>(st) && !std::holds_alternative<ConvertStep>(st) &&
        !std::holds_alternative<StreamStep>(st) && !std::holds_alternative<BlockCommitStep>(st) &&
        !std::holds_alternative<RuntimeBitmapStep>(st))
      continue;
    Scenario c = s;
    c.steps.erase(c.steps.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(c);
  }
  // 2. Remove a filter from the top of the export.
  if (s.export_spec && !s.export_spec->graph.image && s.export_spec->graph.child) {
    Scenario c = s;
    c.export_spec->graph = *s.export_spec->graph.child;
    out.push_back(c);
  }
  // 3. Drop a layer, bottom first.
  for (const Step& st : s.steps)
    if (auto* cr = std::get_if<CreateStep>(&st))
      if (auto c = drop_layer(s, cr->options.name)) out.push_back(*c);
  // 4. Simpler image options: no preallocation, no extended L2, 64 KiB clusters, v3.
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    auto* cr = std::get_if<CreateStep>(&s.steps[i]);
    if (!cr || cr->options.format != ImageFormat::Qcow2) continue;
    auto variant = [&](auto change) {
      Scenario c = s;
      change(std::get<CreateStep>(c.steps[i]).options);
      out.push_back(c);
    };
    const CreateOptions& o = cr->options;
    if (o.preallocation != Preallocation::Off) variant([](CreateOptions& x) { x.preallocation = Preallocation::Off; });
    if (!o.v3) variant([](CreateOptions& x) { x.v3 = true; });
    if (o.cluster_bits != 16) variant([](CreateOptions& x) { x.cluster_bits = 16; });
  }
  // 5. Smaller operations: halve the length, then snap the offset down to 64 KiB / 4 KiB.
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    auto* io = std::get_if<IoStep>(&s.steps[i]);
    if (!io) continue;
    const GuestOp& op = io->op;
    if (op.length > 512 && op.kind != OpKind::WriteCompressed) {
      Scenario c = s;
      std::get<IoStep>(c.steps[i]).op.length = round_up(op.length / 2, 512);
      out.push_back(c);
    }
    for (u64 unit : {u64{65536}, u64{4096}, u64{512}}) {
      u64 snapped = round_down(op.offset, unit);
      if (snapped != op.offset) {
        Scenario c = s;
        std::get<IoStep>(c.steps[i]).op.offset = snapped;
        out.push_back(c);
        break;
      }
    }
  }
  return out;
}

Scenario minimize(Scenario s, const StillFails& still_fails, unsigned max_tries, MinimizeStats* stats) {
  MinimizeStats local;
  MinimizeStats& st = stats ? *stats : local;
  bool progress = true;
  while (progress && st.tries < max_tries) {
    progress = false;
    for (const Scenario& c : simplifications(s)) {
      if (st.tries >= max_tries) break;
      ++st.tries;
      if (still_fails(c)) {
        s = c;
        ++st.accepted;
        progress = true;
        break;  // restart from the simplest candidates of the smaller scenario
      }
    }
  }
  return s;
}

}  // namespace chaincheck::oracle
