#include "model/generate/bitmap_generator.hpp"

#include <algorithm>

#include "model/scenario/model_system.hpp"

namespace chaincheck::model {

namespace {

// The index of the step that creates `image` (the first), if the scenario creates it as a
// qcow2 v3 image: the only layers that store persistent bitmaps
// (qcow2_supports_persistent_dirty_bitmap).
std::optional<std::size_t> created_with_bitmap_support(const Scenario& s, const std::string& image) {
  for (std::size_t i = 0; i < s.steps.size(); ++i)
    if (auto* cs = std::get_if<CreateStep>(&s.steps[i]); cs && cs->options.name == image) {
      if (cs->options.format != ImageFormat::Qcow2 || !cs->options.v3) return std::nullopt;
      return i;
    }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> add_layer_bitmaps(Chooser& c, Scenario& s, const std::string& layer,
                                           const std::string& prefix) {
  std::optional<std::size_t> at = created_with_bitmap_support(s, layer);
  if (!at) return {};
  ++*at;  // right after the create
  std::vector<std::string> names;
  std::vector<Step> adds;
  unsigned count = static_cast<unsigned>(c.range(1, 2));
  for (unsigned b = 0; b < count; ++b) {
    BitmapCommand cmd;
    cmd.image = layer;
    cmd.bitmap = prefix + std::to_string(b);
    cmd.actions.push_back({BitmapAction::Kind::Add, ""});
    static const u64 grans[] = {0, 512, 4096, 65536, 1024 * 1024};
    if (u64 g = grans[c.range(0, 4)]) cmd.granularity = g;
    if (c.chance(20)) cmd.actions.push_back({BitmapAction::Kind::Disable, ""});
    adds.push_back(BitmapStep{cmd});
    names.push_back(cmd.bitmap);
  }
  s.steps.insert(s.steps.begin() + static_cast<std::ptrdiff_t>(*at), adds.begin(), adds.end());
  return names;
}

void add_chain_bitmaps(Chooser& c, Scenario& s) {
  for (Step& st : s.steps) {
    if (auto* v = std::get_if<ConvertStep>(&st)) {
      // A source without bitmap support is refused before the target exists, and the
      // export of the target could not open: not generated (model tests cover it).
      if (!created_with_bitmap_support(s, v->options.source)) continue;
      // --bitmaps into a raw target is refused (after it is created): kept rare.
      unsigned pct = v->options.target_format == ImageFormat::Qcow2 ? 60 : 5;
      if (c.chance(pct)) v->options.bitmaps = true;
    }
  }
  std::optional<std::string> base;
  for (const Step& st : s.steps) {
    if (auto* m = std::get_if<CommitStep>(&st)) {
      if (m->options.base) {
        base = *m->options.base;
      } else {
        // The top's backing: the layer created with it as the top's backing file.
        for (const Step& x : s.steps)
          if (auto* cs = std::get_if<CreateStep>(&x); cs && cs->options.name == m->options.top)
            base = cs->options.backing_file;
      }
    }
    if (auto* b = std::get_if<BlockCommitStep>(&st)) {
      if (b->options.base) {
        base = *b->options.base;
      } else {
        for (const Step& x : s.steps)  // the bottom: the first layer created
          if (auto* cs = std::get_if<CreateStep>(&x)) {
            base = cs->options.name;
            break;
          }
      }
    }
  }
  if (base && c.chance(50)) {
    for (const std::string& n : add_layer_bitmaps(c, s, *base, "c")) {
      if (!s.export_spec) break;
      s.export_spec->bitmaps.push_back(n);
      if (std::find(s.queries.begin(), s.queries.end(), Query::DirtyBitmaps) == s.queries.end())
        s.queries.push_back(Query::DirtyBitmaps);
    }
  }
}

ModelState replay_without_guest_io(const Scenario& s, std::size_t upto) {
  ModelState state;
  replay_without_guest_io(s, 0, upto, state);
  return state;
}

void replay_without_guest_io(const Scenario& s, std::size_t from, std::size_t upto, ModelState& state) {
  for (std::size_t i = from; i < upto && i < s.steps.size(); ++i)
    if (!std::holds_alternative<IoStep>(s.steps[i])) apply_step(state, s.steps[i]);
}

void keep_findable_bitmaps(Scenario& s) {
  if (!s.export_spec || s.export_spec->bitmaps.empty()) return;
  keep_findable_bitmaps(s, replay_without_guest_io(s, s.steps.size()));
}

void keep_findable_bitmaps(Scenario& s, const ModelState& state) {
  if (!s.export_spec || s.export_spec->bitmaps.empty()) return;
  std::vector<std::string> kept;
  try {
    Graph g = build_graph(state, s.export_spec->graph);
    for (const std::string& n : s.export_spec->bitmaps)
      if (find_export_bitmap(state, g, n)) kept.push_back(n);
  } catch (const std::exception&) {
    // The export cannot be opened at all: its bitmaps do not matter.
    kept = s.export_spec->bitmaps;
  }
  s.export_spec->bitmaps = kept;
  if (kept.empty()) std::erase(s.queries, Query::DirtyBitmaps);
}

}  // namespace chaincheck::model
