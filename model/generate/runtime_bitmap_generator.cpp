#include "model/generate/runtime_bitmap_generator.hpp"

#include <algorithm>

#include "model/generate/bitmap_generator.hpp"
#include "model/scenario/model_system.hpp"

namespace chaincheck::model {

namespace {

using K = BitmapAction::Kind;

std::string pick(Chooser& c, const std::vector<std::string>& names) {
  return names[static_cast<std::size_t>(c.range(0, names.size() - 1))];
}

// The layer's guest size in `state` (model), 0 when it cannot be said.
u64 layer_size(const ModelState& state, const std::string& layer) {
  int i = state.find(layer);
  if (i < 0 || state.image(i).format() != ImageFormat::Qcow2) return 0;
  return state.image(i).qcow2().virtual_size;
}

}  // namespace

void add_runtime_bitmap_session(Chooser& c, Scenario& s) {
  if (!s.export_spec) return;
  std::vector<std::size_t> creates;  // qcow2 layers the scenario creates, by step index
  for (std::size_t i = 0; i < s.steps.size(); ++i)
    if (auto* cs = std::get_if<CreateStep>(&s.steps[i]); cs && cs->options.format == ImageFormat::Qcow2)
      creates.push_back(i);
  if (creates.empty()) return;
  // The export's top layer (the last one created) mostly: its bitmaps are the ones exported.
  std::size_t created = c.chance(75) ? creates.back() : creates[static_cast<std::size_t>(c.range(0, creates.size() - 1))];
  const std::string layer = std::get<CreateStep>(s.steps[created]).options.name;
  std::size_t at = static_cast<std::size_t>(c.range(created + 1, s.steps.size()));

  RuntimeBitmapStep step;
  step.image = layer;
  std::vector<std::string> names;
  unsigned adds = static_cast<unsigned>(c.range(1, 3));
  static const u64 grans[] = {0, 512, 4096, 65536, 1024 * 1024};
  for (unsigned b = 0; b < adds; ++b) {
    RuntimeBitmapOp op;
    op.kind = K::Add;
    op.image = layer;
    op.name = "q" + std::to_string(b);
    if (u64 g = grans[c.range(0, 4)]) op.granularity = g;
    op.persistent = c.chance(65);
    op.disabled = c.chance(15);
    step.ops.push_back(op);
    names.push_back(op.name);
  }
  unsigned more = static_cast<unsigned>(c.range(0, 4));
  for (unsigned k = 0; k < more; ++k) {
    RuntimeBitmapOp op;
    op.image = layer;
    switch (c.weighted({2, 2, 2, 2, 1, 1})) {
      case 0: op.kind = K::Clear; break;
      case 1: op.kind = K::Disable; break;
      case 2: op.kind = K::Enable; break;
      case 3: op.kind = K::Merge; break;
      case 4: op.kind = K::Remove; break;
      default: op.kind = K::Add; break;  // a name that is taken: refused ("Bitmap already exists")
    }
    // Now and then a name nobody added: refused ("Dirty bitmap ... not found"), except by add.
    op.name = c.chance(10) ? std::string("missing") : pick(c, names);
    if (op.kind == K::Merge) {
      unsigned n = static_cast<unsigned>(c.range(1, 2));
      for (unsigned m = 0; m < n; ++m) op.sources.emplace_back(layer, pick(c, names));
    }
    step.ops.push_back(op);
  }
  s.steps.insert(s.steps.begin() + static_cast<std::ptrdiff_t>(at), step);

  // Guest writes after the session mark the stored enabled bitmaps. One replay serves the
  // layer's size when the session runs and, carried on to the end, the bitmaps kept below.
  ModelState state = replay_without_guest_io(s, at);
  u64 size = layer_size(state, layer);
  unsigned writes = size >= 4096 ? static_cast<unsigned>(c.range(0, 2)) : 0;
  for (unsigned w = 0; w < writes; ++w) {
    IoStep io;
    io.graph = GraphSpec::of_image(layer);
    io.op.kind = c.chance(70) ? OpKind::Write : OpKind::WriteZeroes;
    io.op.offset = round_down(c.range(0, size - 512), 512);
    io.op.length = std::min<u64>(round_up(c.range(512, 128 * 1024), 512), size - io.op.offset);
    io.op.pattern = static_cast<std::uint8_t>(c.range(1, 255));
    io.op.may_unmap = io.op.kind == OpKind::WriteZeroes && c.chance(50);
    s.steps.insert(s.steps.begin() + static_cast<std::ptrdiff_t>(at + 1 + w), io);
  }

  for (const std::string& n : names)
    if (std::find(s.export_spec->bitmaps.begin(), s.export_spec->bitmaps.end(), n) == s.export_spec->bitmaps.end())
      s.export_spec->bitmaps.push_back(n);
  if (std::find(s.queries.begin(), s.queries.end(), Query::DirtyBitmaps) == s.queries.end())
    s.queries.push_back(Query::DirtyBitmaps);
  replay_without_guest_io(s, at, s.steps.size(), state);
  keep_findable_bitmaps(s, state);
}

}  // namespace chaincheck::model
