#include "model/generate/scenario_generator.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "model/generate/bitmap_generator.hpp"
#include "model/generate/chain_step_generator.hpp"
#include "model/generate/runtime_bitmap_generator.hpp"

namespace chaincheck::model {

namespace {

template <class It>
std::size_t pick_weighted(Chooser& c, It begin, It end) {
  unsigned total = 0;
  for (It w = begin; w != end; ++w) total += *w;
  u64 r = c.range(0, total - 1);
  // Walk from the first (simplest) choice so small answers pick it.
  std::size_t i = 0;
  for (It w = begin; w != end; ++w, ++i) {
    if (r < *w) return i;
    r -= *w;
  }
  return i - 1;
}

}  // namespace

std::size_t Chooser::weighted(const std::vector<unsigned>& weights) {
  return pick_weighted(*this, weights.begin(), weights.end());
}

std::size_t Chooser::weighted(std::initializer_list<unsigned> weights) {
  return pick_weighted(*this, weights.begin(), weights.end());
}

namespace {

constexpr u64 KiB = 1024;

struct LayerInfo {
  std::string name;
  ImageFormat format;
  u64 size;          // guest length
  u64 cluster;       // allocation unit used for biasing (qcow2 cluster, fs block for raw)
  u64 subcluster;
};

// A value near a boundary that matters: a multiple of one of `units`, nudged sometimes.
u64 boundary_value(Chooser& c, u64 limit, std::span<const u64> units, bool allow_odd) {
  u64 unit = units[c.range(0, units.size() - 1)];
  u64 k = c.range(0, std::max<u64>(1, limit / unit));
  u64 v = k * unit;
  switch (c.weighted({6, 1, 1, allow_odd ? 1u : 0u})) {
    case 1: v = v >= 512 ? v - 512 : v; break;
    case 2: v += 512; break;
    case 3: v += c.range(1, 511); break;
    default: break;
  }
  return std::min(v, limit);
}

GuestOp random_op(Chooser& c, const LayerInfo& l, const GeneratorConfig& cfg) {
  GuestOp op;
  const std::array<u64, 4> units = {l.cluster, l.subcluster, 512, 4096};
  bool qcow2 = l.format == ImageFormat::Qcow2;
  std::size_t kind = c.weighted({8, 5, 3, (qcow2 && cfg.compressed_writes) ? 1u : 0u});
  op.kind = static_cast<OpKind>(kind);
  if (op.kind == OpKind::WriteCompressed) {
    u64 clusters = std::max<u64>(1, l.size / l.cluster);
    u64 first = c.range(0, clusters - 1);
    // One cluster: a multi-cluster compressed write that hits an allocated cluster fails
    // part-way through QEMU's parallel tasks, leaving an unpredictable subset written.
    u64 n = 1;
    op.offset = first * l.cluster;
    op.length = std::min(n * l.cluster, l.size - op.offset);
  } else {
    op.offset = boundary_value(c, l.size - 512, units, true);
    u64 room = l.size - op.offset;
    op.length = std::max<u64>(1, boundary_value(c, std::min(room, 4 * l.cluster), units, true));
    op.length = std::min(op.length, room);
  }
  op.pattern = static_cast<std::uint8_t>(c.range(0, 3) == 0 ? 0 : c.range(1, 255));
  if (op.kind == OpKind::WriteZeroes) op.may_unmap = c.chance(50);
  return op;
}

bool has_kind(const GraphSpec& g, NodeKind k) {
  if (!g.image && g.filter == k) return true;
  return g.child && has_kind(*g.child, k);
}

bool filter_between_layers(const GraphSpec& g) {
  if (g.image && g.backing == GraphSpec::Backing::Explicit && g.child && !g.child->image) return true;
  return g.child && filter_between_layers(*g.child);
}

GraphSpec random_between_filter(Chooser& c, const GeneratorConfig& cfg, const LayerInfo& below) {
  GraphSpec f;
  // throttle, blkdebug, preallocate, copy-on-read (the node is opened writable), raw window
  switch (c.weighted({3, 3, 1, cfg.copy_on_read ? 3u : 0u, 1})) {
    case 0: f.filter = NodeKind::Throttle; break;
    case 1: f.filter = NodeKind::Blkdebug; f.align = u64{512} << c.range(0, 7); break;
    case 2: f.filter = NodeKind::Preallocate; break;
    case 3: f.filter = NodeKind::CopyOnRead; break;
    default:
      f.filter = NodeKind::RawWindow;
      f.offset = round_down(c.range(0, below.size / 2), 4096);
      if (c.chance(50)) f.size = std::max<u64>(512, round_down(c.range(512, below.size - f.offset), 512));
      break;
  }
  f.child = std::make_shared<GraphSpec>(GraphSpec::of_image(below.name));
  return f;
}

// Filters below the top of the export: between an overlay and its backing, over a file
// node, copy-on-read directly over the top image. Choices are made after the older ones so
// the scenarios of a seed keep their layers and top filters.
void place_filters_anywhere(Chooser& c, const GeneratorConfig& cfg, const std::vector<LayerInfo>& info,
                            GraphSpec& top) {
  // Walk to the image under the top filters; `slot` is what points at it.
  GraphSpec* img = &top;
  while (!img->image) img = img->child.get();
  const bool plain_top = img == &top;
  if (cfg.filters_between && info.size() > 1 && img->backing == GraphSpec::Backing::FromHeader &&
      img->file_filters.empty() && c.chance(30)) {
    // Overlay `k` gets the filter over its backing k-1; layers above name theirs explicitly.
    std::size_t k = 1 + c.range(0, info.size() - 2);
    GraphSpec chain = random_between_filter(c, cfg, info[k - 1]);
    for (std::size_t j = k; j < info.size(); ++j) {
      GraphSpec layer = GraphSpec::of_image(info[j].name);
      layer.backing = GraphSpec::Backing::Explicit;
      layer.child = std::make_shared<GraphSpec>(chain);
      chain = layer;
    }
    *img = chain;
  }
  if (cfg.file_filters && c.chance(15)) {
    ProtocolFilter f;
    switch (c.weighted({2, 1, 1})) {
      case 0: f.kind = NodeKind::Blkdebug; f.align = u64{512} << c.range(0, 7); break;
      case 1: f.kind = NodeKind::Throttle; break;
      default: f.kind = NodeKind::Preallocate; break;
    }
    img->file_filters.push_back(f);
  }
  if (cfg.copy_on_read && plain_top && c.chance(15)) {
    GraphSpec cor;
    cor.filter = NodeKind::CopyOnRead;
    cor.child = std::make_shared<GraphSpec>(top);
    top = cor;
  }
}

// Bitmaps are exported by qemu-nbd -B, or by block-export-add "bitmaps" when the graph needs
// qemu-storage-daemon; chain steps and block jobs keep, mark or copy them
// (model/semantics/bitmap_effects.hpp). What is left out: a raw window above the top layer, which
// nbd_export_create's search does not pass (add_bitmaps).
bool bitmaps_fit(const Scenario& s) { return s.export_spec.has_value(); }

// Dirty bitmaps on the top layer (qcow2 v3 only; others are refused like QEMU does and
// kept rarely): one or two bitmaps added right after the layer is created, the layer's
// guest writes between, then an action (disable, clear, enable, merge) and more writes.
void add_bitmaps(Chooser& c, Scenario& s, const LayerInfo& l, const GeneratorConfig& cfg) {
  std::size_t created = 0;
  bool v3 = true;
  for (std::size_t i = 0; i < s.steps.size(); ++i)
    if (auto* cs = std::get_if<CreateStep>(&s.steps[i]); cs && cs->options.name == l.name) {
      created = i;
      v3 = cs->options.v3;
    }
  if (l.format != ImageFormat::Qcow2 || l.size < 1024) return;
  // A raw window is no filter to nbd_export_create's bitmap search: the export would fail.
  for (const GraphSpec* g = &s.export_spec->graph; g; g = g->child.get())
    if (!g->image && g->filter == NodeKind::RawWindow) return;
  unsigned count = static_cast<unsigned>(c.range(1, 2));
  std::vector<Step> adds;
  for (unsigned b = 0; b < count; ++b) {
    BitmapCommand cmd;
    cmd.image = l.name;
    cmd.bitmap = "b" + std::to_string(b);
    cmd.actions.push_back({BitmapAction::Kind::Add, ""});
    static const u64 grans[] = {0, 512, 4096, 65536, 1024 * KiB};
    if (u64 g = grans[c.range(0, 4)]) cmd.granularity = g;
    if (c.chance(25)) cmd.actions.push_back({BitmapAction::Kind::Disable, ""});
    adds.push_back(BitmapStep{cmd});
  }
  s.steps.insert(s.steps.begin() + static_cast<std::ptrdiff_t>(created) + 1, adds.begin(), adds.end());
  BitmapCommand later;
  later.image = l.name;
  later.bitmap = "b0";
  switch (c.range(0, 4)) {
    case 0: later.actions.push_back({BitmapAction::Kind::Disable, ""}); break;
    case 1: later.actions.push_back({BitmapAction::Kind::Clear, ""}); break;
    case 2: later.actions.push_back({BitmapAction::Kind::Enable, ""}); break;
    case 3: later.actions.push_back({BitmapAction::Kind::Merge, count > 1 ? "b1" : "b0"}); break;
    default: break;
  }
  if (!later.actions.empty()) s.steps.push_back(BitmapStep{later});
  unsigned ops = static_cast<unsigned>(c.range(0, 2));
  for (unsigned k = 0; k < ops; ++k) {
    IoStep io;
    io.graph = GraphSpec::of_image(l.name);
    io.op = random_op(c, l, cfg);
    s.steps.push_back(io);
  }
  // A compat=0.10 image refuses the bitmaps (qcow2_co_can_store_new_dirty_bitmap): the steps
  // still test the refusal, but exporting a bitmap that does not exist would only fail.
  if (!v3) return;
  for (unsigned b = 0; b < count; ++b) s.export_spec->bitmaps.push_back("b" + std::to_string(b));
  s.queries.push_back(Query::DirtyBitmaps);
}

}  // namespace

Scenario generate_scenario(Chooser& c, const GeneratorConfig& cfg) {
  Scenario s;
  s.name = "generated";
  unsigned layers = static_cast<unsigned>(c.range(1, std::max(1u, cfg.max_layers)));
  // Room for the usual scenario up front: growing step by step reallocates (and moves every
  // step) several times per scenario, which dominated the fuzzer's allocations under ASan.
  s.steps.reserve(layers * (cfg.max_ops_per_layer + 1) + 8);
  std::vector<LayerInfo> info;
  info.reserve(layers);
  static constexpr std::array<u64, 5> sizes = {256 * KiB, 64 * KiB, 1024 * KiB, 128 * KiB, 4096 * KiB};
  for (unsigned i = 0; i < layers; ++i) {
    LayerInfo l;
    bool bottom = i == 0;
    l.format = bottom && c.chance(35) ? ImageFormat::Raw : ImageFormat::Qcow2;
    l.name = "l" + std::to_string(i) + (l.format == ImageFormat::Raw ? ".raw" : ".qcow2");
    u64 size = std::min(sizes[c.range(0, sizes.size() - 1)], cfg.max_image_size);
    CreateOptions o;
    o.name = l.name;
    o.format = l.format;
    if (l.format == ImageFormat::Raw) {
      if (cfg.unaligned_raw && c.chance(20)) size -= c.range(1, 511);
      o.size = size;
      l.size = round_up(size, 512);
      l.cluster = 4096;
      l.subcluster = 512;
      s.steps.push_back(CreateStep{o});
    } else {
      static const unsigned bits[] = {16, 12, 9, 14, 20, 21};
      o.cluster_bits = bits[c.range(0, 5)];
      o.extended_l2 = cfg.extended_l2 && o.cluster_bits >= 14 && c.chance(30);
      o.v3 = !(cfg.v2 && !o.extended_l2 && c.chance(10));
      if (!bottom) {
        o.backing_file = info.back().name;
        o.backing_format = info.back().format;
        // Backings shorter or longer than the overlay, or no size (inherit).
        if (c.chance(40)) o.size = std::min(size, cfg.max_image_size);
      } else {
        o.size = size;
      }
      if (cfg.preallocation && (bottom || o.extended_l2) && c.chance(15)) {
        o.preallocation = static_cast<Preallocation>(c.range(1, 3));
      }
      l.size = o.size ? round_up(*o.size, 512) : info.back().size;
      l.cluster = u64{1} << o.cluster_bits;
      l.subcluster = o.extended_l2 ? l.cluster / 32 : l.cluster;
      s.steps.push_back(CreateStep{o});
    }
    info.push_back(l);
    unsigned ops = static_cast<unsigned>(c.range(0, cfg.max_ops_per_layer));
    for (unsigned k = 0; k < ops && l.size >= 1024; ++k) {
      IoStep io;
      io.graph = GraphSpec::of_image(l.name);
      io.op = random_op(c, l, cfg);
      s.steps.push_back(io);
    }
  }
  ExportSpec ex;
  ex.graph = GraphSpec::of_image(info.back().name, info.size() > 1 && c.chance(20));
  if (cfg.filters) {
    unsigned filters = static_cast<unsigned>(c.weighted({6, 3, 1}));
    u64 cur_len = info.back().size;  // length of the graph so far (a raw window shrinks it)
    for (unsigned f = 0; f < filters; ++f) {
      GraphSpec top;
      // blkdebug, raw windows, throttle and preallocate. copy-on-read needs a writable graph (qemu-nbd -r
      // refuses it: "Block node is read-only"), so read-only exports do not get it.
      top.filter = static_cast<NodeKind>(c.weighted({0, 4, 2, 0, 2, 1}));  // + preallocate
      if (top.filter == NodeKind::Image) top.filter = NodeKind::Blkdebug;
      if (top.filter == NodeKind::Blkdebug) top.align = u64{512} << c.range(0, 7);
      if (top.filter == NodeKind::RawWindow) {
        // raw offset/size: size a multiple of 512 (raw_open), inside the layer below.
        u64 len = cur_len;
        top.offset = round_down(c.range(0, len / 2), 4096);
        u64 room = len - top.offset;
        if (c.chance(70)) top.size = std::max<u64>(512, round_down(c.range(512, std::max<u64>(512, room)), 512));
        cur_len = top.size ? std::min(*top.size, room) : room;
      }
      top.child = std::make_shared<GraphSpec>(ex.graph);
      ex.graph = top;
    }
  }
  place_filters_anywhere(c, cfg, info, ex.graph);
  s.export_spec = ex;
  // qemu-img and qemu-io cannot open these graphs (copy-on-read needs a writable node;
  // a filter between layers needs node names): only the NBD export answers.
  if (has_kind(ex.graph, NodeKind::CopyOnRead) || filter_between_layers(ex.graph))
    s.queries = {Query::BaseAllocation, Query::AllocationDepth, Query::Content};
  else
    s.queries = {Query::ImgMap, Query::IoMap, Query::BaseAllocation, Query::AllocationDepth, Query::Content};
  if (cfg.chain_operations) {
    std::vector<GeneratedLayer> layers;
    for (const LayerInfo& l : info) layers.push_back({l.name, l.format, l.size});
    maybe_add_chain_step(c, layers, s);
  }
  // Chosen last, so the scenarios of a seed stay what they were without bitmaps; then
  // bitmaps with the chain step (convert --bitmaps, the base of a commit), and only the
  // exported names the export can find after every step.
  if (cfg.bitmaps && bitmaps_fit(s) && c.chance(15)) {
    add_bitmaps(c, s, info.back(), cfg);
    add_chain_bitmaps(c, s);
    keep_findable_bitmaps(s);
  }
  // Last of all: a qemu-storage-daemon session with QMP bitmap commands.
  if (cfg.bitmaps && cfg.runtime_bitmaps && bitmaps_fit(s) && c.chance(12)) add_runtime_bitmap_session(c, s);
  return s;
}

}  // namespace chaincheck::model
