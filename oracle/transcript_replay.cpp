#include "oracle/transcript_replay.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>

#include "impl/scenario/qemu_graph.hpp"
#include "impl/scenario/qsd_graph.hpp"
#include "model/semantics/chain.hpp"
#include "model/scenario/model_system.hpp"
#include "model/semantics/filter_effects.hpp"
#include "model/semantics/bitmaps.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"
#include "model/semantics/operations.hpp"
#include "model/semantics/rounding.hpp"
#include "model/scenario/nbdkit_stack.hpp"
#include "oracle/judge.hpp"
#include "oracle/transcript_replay_rebuild.hpp"
#include "oracle/transcript_replay_qmp.hpp"

namespace chaincheck::oracle {

using namespace chaincheck::model;
using impl::TranscriptCommand;

void add_step_divergence(const std::string& model_err, const std::string& real_err, const std::string& what,
                         int line_no, ReproLine& line) {
  if (model_err.empty() == real_err.empty()) return;
  Observation p, o;
  p.step_errors = {model_err};
  o.step_errors = {real_err};
  Verdict v = judge(p, o, {});
  for (Finding f : v.findings) {
    f.where = "line " + std::to_string(line_no);
    f.summary += " (" + what + ")";
    line.findings.push_back(f);
  }
}

std::size_t ReproReport::findings() const {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.findings.size();
  for (const auto& r : rebuilds) n += r.findings.size();
  return n;
}
std::size_t ReproReport::new_findings() const {
  std::size_t n = 0;
  for (const auto& l : lines)
    for (const auto& f : l.findings) n += !f.known;
  for (const auto& r : rebuilds)
    for (const auto& f : r.findings) n += !f.known;
  return n;
}

std::string nbdinfo_line(std::uint64_t offset, std::uint64_t length, std::uint32_t value, const std::string& context) {
  std::string desc;
  if (context == "base:allocation") {
    static const char* d[] = {"data", "hole", "zero", "hole,zero"};
    desc = value < 4 ? d[value] : "?";
  } else if (context == "qemu:allocation-depth") {
    desc = value == 0 ? "absent" : value == 1 ? "local" : "backing depth " + std::to_string(value);
  } else if (context.rfind("qemu:dirty-bitmap:", 0) == 0) {
    desc = value == 0 ? "clean" : value == 1 ? "dirty" : "?";  // nbdinfo's words
  }
  char buf[128];
  std::snprintf(buf, sizeof buf, "%10llu  %10llu  %3u  %s", static_cast<unsigned long long>(offset),
                static_cast<unsigned long long>(length), value, desc.c_str());
  return buf;
}

namespace {

struct ModelReplay {
  ModelState state;
  bool stale = false;  // a command the model does not follow changed the images
  std::string stale_why;
  struct Export {
    GraphSpec graph;
    bool valid = false;
    std::string why_not;
    std::vector<std::string> bitmaps;  // qemu-nbd -B NAME each
    std::optional<std::string> socket;  // as written (qemu-nbd -k, QSD addr.path)
    std::string name;                   // export name
    std::optional<NbdkitStack> nbdkit;  // set: nbdkit serving `graph`
    std::string nbdkit_text;            // "nbdkit --filter=blocksize(minblock=4096) nbd"
    int fronts = -1;                    // nbdkit's nbd plugin: the export it is in front of
    int base_differs_at = 0;            // a line where this export's base:allocation or read had a finding
    int daemon = -1;                    // block-export-add: the daemon's transcript line
  };
  std::vector<Export> servers;
  QmpReplay qmp;  // daemons with a QMP monitor (oracle/transcript_replay_qmp.hpp)
};

std::optional<ImageFormat> format_of(const std::string& f) {
  if (f == "raw") return ImageFormat::Raw;
  if (f == "qcow2") return ImageFormat::Qcow2;
  return std::nullopt;
}

// The model's graph for an image argument; nullopt with the reason when not modelled.
std::optional<GraphSpec> graph_of(const impl::ImageArg& a, const ModelState& s, std::string* why) {
  if (a.structured) {
    auto p = impl::graph_from_qemu_options(nlohmann::json::parse(a.json));
    if (!p.graph) *why = p.why_not;
    return p.graph;
  }
  int i = s.find(a.text);
  if (i < 0) {
    *why = "'" + a.text + "' is not an image the transcript created";
    return std::nullopt;
  }
  if (a.format && format_of(*a.format) != s.image(i).format()) {
    *why = "'" + a.text + "' opened as " + *a.format + " but it is " + to_string(s.image(i).format());
    return std::nullopt;
  }
  return GraphSpec::of_image(a.text);
}

// qemu-io's flags start with BDRV_O_UNMAP; a "discard": "ignore" (or "off") option of the
// opened node clears it (bdrv_parse_discard_flags).
bool opens_with_unmap(const impl::ImageArg& a) {
  if (!a.structured) return true;
  auto j = nlohmann::json::parse(a.json);
  auto it = j.find("discard");
  return it == j.end() || !it->is_string() || (*it != "ignore" && *it != "off");
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

JudgeContext context_for(const ModelState& s, const GraphSpec& g, int line) {
  JudgeContext ctx;
  ctx.graph = describe(g);
  ctx.where = "line " + std::to_string(line);
  try {
    Graph gr = build_graph(s, g);
    ctx.layers = static_cast<unsigned>(cow_layers(gr, gr.root).size());
  } catch (const std::exception&) {
  }
  return ctx;
}

char picture_char(const ModelState& s, const Image& img, u64 a, u64 b) {
  bool any_alloc = false, all_alloc = true, all_zero = true;
  std::optional<std::uint8_t> value;
  bool mixed = false;
  auto see = [&](std::uint8_t v) {
    if (value && *value != v) mixed = true;
    value = v;
  };
  if (img.format() == ImageFormat::Qcow2) {
    const Qcow2Image& q = img.qcow2();
    q.units.for_each(a, b - a, [&](const Extent<Qcow2Unit>& e) {
      ClusterType t = e.value.type;
      bool alloc = t != ClusterType::Unallocated && t != ClusterType::UnallocatedAlloc;
      any_alloc |= alloc;
      all_alloc &= alloc;
      if (t == ClusterType::Normal || t == ClusterType::Compressed) {
        q.data.for_each(e.start, e.length, [&](const Extent<std::uint8_t>& d) {
          see(d.value);
          all_zero &= d.value == 0;
        });
      }
    });
    if (!any_alloc) return '-';
  } else {
    const RawImage& r = img.raw();
    bool any_data = false;
    r.host_data.for_each(a, b - a, [&](const Extent<bool>& e) { any_data |= e.value; });
    r.content.for_each(a, b - a, [&](const Extent<std::uint8_t>& e) {
      see(e.value);
      all_zero &= e.value == 0;
    });
    if (!any_data && all_zero) return '-';
    all_alloc = true;
  }
  (void)s;
  if (all_zero) return '0';
  if (!mixed && value && std::isalnum(*value)) return static_cast<char>(*value);
  return all_alloc ? 'D' : 'd';
}

std::vector<std::string> picture(const ModelState& s) {
  std::vector<std::string> out;
  if (s.images.empty()) return out;
  u64 cell = 64 * 1024, longest = 0;
  std::size_t width = 0;
  for (const Image& img : s.images) {
    longest = std::max(longest, img.guest_length());
    width = std::max(width, img.name.size());
  }
  while (longest / cell > 64) cell *= 2;
  out.push_back("(model, after the last command; one character per " + std::to_string(cell / 1024) +
                " KiB: - absent/hole, 0 zero, letter = the byte written, D data)");
  for (auto it = s.images.rbegin(); it != s.images.rend(); ++it) {
    std::string row = it->name + std::string(width - it->name.size(), ' ') + "  ";
    u64 len = it->guest_length();
    for (u64 a = 0; a < len; a += cell) row += picture_char(s, *it, a, std::min(a + cell, len));
    out.push_back(row);
  }
  return out;
}

}  // namespace

namespace {

// nbdinfo --map=qemu:dirty-bitmap:NAME: the model's bitmap (found as nbd_export_create
// finds it), rounded to the minimum block like every context, judged against the replies.
void judge_bitmap_line(const ModelState& s, const ModelReplay::Export& ex, const std::string& ctx,
                       const impl::CommandOutcome* out, int line_no, bool stale, ReproLine& line) {
  std::string name = ctx.substr(std::string(kDirtyBitmapPrefix).size());
  if (std::find(ex.bitmaps.begin(), ex.bitmaps.end(), name) == ex.bitmaps.end()) {
    line.notes.push_back("not modelled: the server was not started with -B " + name);
    return;
  }
  Graph graph = build_graph(s, ex.graph);
  const DirtyBitmap* b = find_export_bitmap(s, graph, name);
  if (!b) {
    line.notes.push_back("the model has no bitmap '" + name + "' on the exported chain");
    return;
  }
  u64 len = node_length(s, graph, graph.root);
  u64 min_block = out->nbd ? node_alignment(s, graph, graph.root) : 1;
  auto extents = dirty_bitmap_extents(*b, 0, len, min_block);
  for (const auto& e : extents) line.model.push_back(nbdinfo_line(e.start, e.length, e.value, ctx));
  if (!out->nbd || stale) return;
  Observation p, o;
  p.nbd = NbdObservation{};
  p.nbd->export_size = len;
  p.nbd->block_size.minimum = min_block;
  p.nbd->contexts = {ctx};
  p.nbd->replies.push_back({ctx, 0, len, extents});
  o.nbd = out->nbd;
  Verdict v = judge(p, o, context_for(s, ex.graph, line_no));
  for (auto& f : v.findings) line.findings.push_back(f);
}

// An nbdkit line's export: the file plugin over a raw image of the transcript, or the nbd
// plugin over the export of the earlier qemu-nbd / QSD line whose socket it names.
ModelReplay::Export nbdkit_export(const impl::NbdkitRun& k, const ModelReplay& m) {
  ModelReplay::Export ex;
  ex.socket = k.socket;
  ex.nbdkit_text = k.describe();
  NbdkitStack st;
  st.nbd_plugin = k.plugin == impl::NbdkitRun::Plugin::Nbd;
  if (k.has_filter("blocksize")) st.minblock = k.minblock.value_or(1);
  if (k.has_filter("blocksize-policy")) st.policy_minimum = k.policy_minimum.value_or(1);
  ex.nbdkit = st;
  if (!st.nbd_plugin) {
    int i = m.state.find(k.file);
    if (i < 0) {
      ex.why_not = "'" + k.file + "' is not an image the transcript created";
    } else if (m.state.image(i).format() != ImageFormat::Raw) {
      ex.why_not = "nbdkit's file plugin serves the bytes of the " + std::string(to_string(m.state.image(i).format())) +
                   " file '" + k.file + "', not its guest view";
    } else {
      ex.graph = GraphSpec::of_image(k.file);
      ex.valid = true;
    }
    return ex;
  }
  for (auto it = m.servers.rbegin(); it != m.servers.rend(); ++it) {
    if (it->nbdkit || !it->socket || !impl::same_socket(*it->socket, k.nbd_socket)) continue;
    if (!k.nbd_export.empty() && it->name != k.nbd_export) continue;
    ex.fronts = static_cast<int>(m.servers.rend() - it) - 1;
    ex.graph = it->graph;
    ex.valid = it->valid;
    ex.why_not = it->why_not;
    return ex;
  }
  ex.why_not = "no export on socket " + k.nbd_socket;
  return ex;
}

// An active commit's pivot moved the daemon's exports of the device (and nbdkit in front of
// them) onto the base: their graphs follow, or stop being modelled when the base is unknown.
void follow_pivot(ModelReplay& m, const QmpPivot& p, ReproLine& line) {
  std::vector<bool> moved(m.servers.size(), false);
  for (std::size_t i = 0; i < m.servers.size(); ++i) {
    ModelReplay::Export& ex = m.servers[i];
    bool fronts_moved = ex.fronts >= 0 && static_cast<std::size_t>(ex.fronts) < i && moved[static_cast<std::size_t>(ex.fronts)];
    if ((ex.daemon != p.daemon && !fronts_moved) || !ex.valid) continue;
    GraphSpec after = ex.graph;
    if (!replace_pivoted_node(after, p.top, p.base.value_or(GraphSpec{}))) continue;  // the device is not in it
    moved[i] = true;
    if (p.base) {
      ex.graph = std::move(after);
      line.notes.push_back("modelled: the pivot moves an export onto " + describe(ex.graph));
    } else {
      ex.valid = false;
      ex.why_not = p.why_not;
      line.notes.push_back("not modelled: an export after " + p.why_not);
    }
  }
}

// nbdinfo --map against nbdkit: base:allocation only; the model's answer for the export
// nbdkit serves, rounded as the filter should (model/scenario/nbdkit_stack.hpp), judged like any
// server's (NBD spec, content, model). Findings name nbdkit among their interfaces.
void judge_nbdkit_line(ModelState& s, const ModelReplay::Export& ex, int inner_differs_at, const std::string& ctx,
                       const impl::CommandOutcome* out, int line_no, bool stale, ReproLine& line) {
  if (ctx != "base:allocation") {
    line.notes.push_back("not modelled: nbdkit serves base:allocation only, not " + ctx);
    return;
  }
  Graph graph = build_graph(s, ex.graph);
  NbdObservation p = predict_nbdkit(s, graph, *ex.nbdkit);
  for (const auto& r : p.replies)
    for (const auto& e : r.extents) line.model.push_back(nbdinfo_line(e.start, e.length, e.value, ctx));
  if (out->nbd && !stale) {
    Observation po, oo;
    po.nbd = p;
    po.content = content(s, graph, graph.root, 0, p.export_size);
    oo.nbd = out->nbd;
    oo.content = out->content;
    JudgeContext jc = context_for(s, ex.graph, line_no);
    // Only nbdkit's own description: QEMU's known findings match on the QEMU graph.
    jc.graph = ex.nbdkit_text;
    Verdict v = judge(po, oo, jc);
    bool dropped = false;
    for (auto& f : v.findings) {
      // nbdkit passes on what QEMU said: where QEMU already differs (the campaign's rule,
      // oracle/nbdkit_judge.hpp), only nbdkit's own NBD-spec findings count.
      if (inner_differs_at && f.cls != FindingClass::NbdSpec) {
        dropped = true;
        continue;
      }
      f.interfaces.push_back("nbdkit");
      line.findings.push_back(f);
    }
    if (dropped)
      line.notes.push_back("not judged against the model: the export nbdkit is in front of already differs (line " +
                           std::to_string(inner_differs_at) + ")");
  }
  if (out->content && ex.nbdkit->nbd_plugin && has_copy_on_read(graph)) read_export(s, graph);
}

}  // namespace

ReproReport judge_transcript(const std::vector<TranscriptCommand>& commands, const impl::TranscriptRun& run,
                             const Registry& registry) {
  ReproReport report;
  report.versions = run.versions;
  ModelReplay m;
  Scenario replayed;  // the steps the model followed, for the rebuild check (ReproRebuildRequest)
  bool replay_inexact = false;  // a step the scenario cannot express: no rebuild check
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const TranscriptCommand& tc = commands[i];
    ReproLine line;
    line.command = &tc;
    line.outcome = i < run.outcomes.size() ? &run.outcomes[i] : nullptr;
    const impl::CommandOutcome* out = line.outcome;
    auto step_divergence = [&](const std::string& model_err, const std::string& real_err, const std::string& what) {
      add_step_divergence(model_err, real_err, what, tc.line, line);
    };
    try {
      if (auto* c = std::get_if<impl::QemuImgCreate>(&tc.command)) {
        CreateOptions o;
        o.name = c->file;
        o.format = *format_of(c->format);
        o.size = c->size;
        if (c->options.count("cluster_size")) {
          auto v = impl::transcript_size(c->options.at("cluster_size"));
          for (unsigned b = 9; v && b <= 21; ++b)
            if (*v == (u64{1} << b)) o.cluster_bits = b;
        }
        if (c->options.count("extended_l2")) o.extended_l2 = c->options.at("extended_l2") == "on";
        if (c->options.count("compat")) o.v3 = c->options.at("compat") != "0.10";
        if (c->options.count("preallocation")) {
          const std::string& p = c->options.at("preallocation");
          o.preallocation = p == "metadata" ? Preallocation::Metadata : p == "falloc" ? Preallocation::Falloc
                            : p == "full" ? Preallocation::Full : Preallocation::Off;
        }
        o.backing_file = c->backing;
        if (c->backing_format) o.backing_format = format_of(*c->backing_format);
        auto err = create_image(m.state, o);
        if (!err) replayed.steps.push_back(CreateStep{o});
        step_divergence(err ? err->message : "", out ? out->error : "", "qemu-img create");
      } else if (auto* b = std::get_if<impl::QemuImgBitmap>(&tc.command)) {
        BitmapCommand c;
        c.image = b->file;
        c.bitmap = b->bitmap;
        c.granularity = b->granularity;
        c.source_image = b->source_file;
        for (const auto& [action, source] : b->actions)
          c.actions.push_back({*bitmap_action_from_string(action), source});
        auto err = apply_bitmap_command(m.state, c);
        if (!err) replayed.steps.push_back(BitmapStep{c});
        step_divergence(err ? err->message : "", out ? out->error : "", "qemu-img bitmap");
      } else if (auto* t = std::get_if<impl::Truncate>(&tc.command)) {
        if (!truncate_file(m.state, t->file, t->size)) replayed.steps.push_back(TruncateStep{t->file, t->size});
      } else if (auto* q = std::get_if<impl::QemuIo>(&tc.command)) {
        std::string why;
        auto g = graph_of(q->image, m.state, &why);
        if (!g) {
          line.notes.push_back("not modelled: " + why);
        } else {
          Graph graph = build_graph(m.state, *g);
          for (std::size_t k = 0; k < q->commands.size(); ++k) {
            const impl::IoCommand& c = q->commands[k];
            const impl::IoCommandOutcome* io = out && k < out->io.size() ? &out->io[k] : nullptr;
            std::string real_err = io ? io->error : "";
            using K = impl::IoCommand::Kind;
            if (c.kind == K::Write || c.kind == K::WriteZeroes || c.kind == K::Discard || c.kind == K::WriteCompressed) {
              GuestOp op;
              op.kind = c.kind == K::Write ? OpKind::Write : c.kind == K::WriteZeroes ? OpKind::WriteZeroes
                        : c.kind == K::Discard ? OpKind::Discard : OpKind::WriteCompressed;
              op.offset = c.offset;
              op.length = c.length;
              op.pattern = c.pattern.value_or(0xcd);
              op.may_unmap = c.unmap;
              std::string model_err;
              if (q->read_only) model_err = "read-only";
              // qemu-io opens with BDRV_O_UNMAP unless the options say discard=ignore.
              else if (auto e = apply(m.state, graph, op, OpenOptions{opens_with_unmap(q->image)})) model_err = e->message;
              else if (opens_with_unmap(q->image)) replayed.steps.push_back(IoStep{*g, op});
              else replay_inexact = true;  // an IoStep cannot say discard=ignore
              step_divergence(model_err, real_err, c.text);
            } else if (c.kind == K::Read) {
              bool matches = !c.pattern || [&] {
                for (const auto& r : content(m.state, graph, graph.root, c.offset, c.length))
                  if (r.value != *c.pattern) return false;
                return true;
              }();
              step_divergence(matches ? "" : "Pattern verification failed", real_err, c.text);
            } else if (c.kind == K::Map) {
              auto lines = qemu_io_map(m.state, graph);
              for (const auto& s : split_lines(qemu_io_map_text(lines))) line.model.push_back(s);
              if (io && io->map && !m.stale) {
                Observation p, o;
                p.io_map = lines;
                o.io_map = io->map;
                Verdict v = judge(p, o, context_for(m.state, *g, tc.line));
                for (auto& f : v.findings) line.findings.push_back(f);
              }
            } else if (c.kind == K::Alloc) {
              IoAlloc a = qemu_io_alloc(m.state, graph, c.offset, c.length);
              line.model.push_back(qemu_io_alloc_text(a).substr(0, qemu_io_alloc_text(a).size() - 1));
              if (io && io->alloc && !m.stale && (io->alloc->allocated != a.allocated || io->alloc->count != a.count)) {
                Finding f;
                f.cls = FindingClass::ModelDivergence;
                f.interfaces = {"qemu-io alloc"};
                f.rule = "top-allocation";
                f.offset = c.offset;
                f.length = c.length;
                f.expected = std::to_string(a.allocated) + "/" + std::to_string(a.count);
                f.observed = std::to_string(io->alloc->allocated) + "/" + std::to_string(io->alloc->count);
                f.summary = "qemu-io alloc differs from the model";
                f.where = "line " + std::to_string(tc.line);
                f.graph = describe(*g);
                line.findings.push_back(f);
              }
            }
          }
        }
      } else if (auto* mp = std::get_if<impl::QemuImgMap>(&tc.command)) {
        std::string why;
        auto g = graph_of(mp->image, m.state, &why);
        if (!g) {
          line.notes.push_back("not modelled: " + why);
        } else {
          Graph graph = build_graph(m.state, *g);
          auto entries = qemu_img_map(m.state, graph, mp->start.value_or(0), mp->max_length.value_or(UINT64_MAX));
          for (const auto& s : split_lines(map_to_json(entries))) line.model.push_back(s);
          if (out && out->img_map && !m.stale) {
            Observation p, o;
            p.img_map = entries;
            o.img_map = out->img_map;
            o.content = out->content;  // read back where map says data and zero (the campaign's rule)
            Verdict v = judge(p, o, context_for(m.state, *g, tc.line));
            for (auto& f : v.findings) line.findings.push_back(f);
          }
        }
      } else if (auto* n = std::get_if<impl::QemuNbd>(&tc.command)) {
        ModelReplay::Export ex;
        auto g = graph_of(n->image, m.state, &ex.why_not);
        if (g) {
          ex.graph = *g;
          ex.valid = true;
        }
        ex.bitmaps = n->bitmaps;
        ex.socket = n->socket;
        ex.name = n->export_name.value_or("");
        if (n->snapshot) {
          ex.valid = false;
          ex.why_not = "qemu-nbd -s adds a temporary overlay the model does not follow";
        }
        m.servers.push_back(ex);
        if (!ex.valid) line.notes.push_back("not modelled: " + ex.why_not);
      } else if (auto* d = std::get_if<impl::StorageDaemonRun>(&tc.command)) {
        if (d->qmp_socket) start_daemon_model(m.qmp, tc.line, *d);
        // One model export per --export: its node's graph from the --blockdev options.
        std::vector<nlohmann::json> nodes;
        for (const auto& b : d->blockdevs) nodes.push_back(nlohmann::json::parse(b));
        for (const auto& e : d->exports) {
          ModelReplay::Export ex;
          ex.socket = d->socket;
          ex.name = e.name;
          try {
            auto p = impl::graph_from_qemu_options(impl::nest_blockdevs(nodes, e.node));
            if (p.graph) {
              ex.graph = *p.graph;
              ex.valid = true;
            } else {
              ex.why_not = p.why_not;
            }
          } catch (const std::invalid_argument& err) {
            ex.why_not = err.what();
          }
          ex.bitmaps = e.bitmaps;
          if (!ex.valid) line.notes.push_back("not modelled: export " + e.name + ": " + ex.why_not);
          m.servers.push_back(ex);
        }
      } else if (auto* k = std::get_if<impl::NbdkitRun>(&tc.command)) {
        m.servers.push_back(nbdkit_export(*k, m));
        if (!m.servers.back().valid) line.notes.push_back("not modelled: " + m.servers.back().why_not);
      } else if (auto* info = std::get_if<impl::NbdInfo>(&tc.command)) {
        if (out && out->server >= 0 && static_cast<std::size_t>(out->server) < m.servers.size() && info->map) {
          const auto& ex = m.servers[static_cast<std::size_t>(out->server)];
          std::string ctx = info->map->empty() ? "base:allocation" : *info->map;
          if (!out->server_crash.empty()) {
            // The model answers every request: a server that aborts under one is a finding
            // (the campaign's server-crashed rule, oracle/judge.cpp), whatever is modelled.
            Observation crashed;
            crashed.error = out->error;
            crashed.server_crash = out->server_crash;
            for (auto& f : judge(Observation{}, crashed, context_for(m.state, ex.graph, tc.line)).findings)
              line.findings.push_back(f);
          }
          if (!ex.valid) {
            line.notes.push_back("not modelled: " + ex.why_not);
          } else if (ex.nbdkit) {
            int inner = ex.fronts >= 0 ? m.servers[static_cast<std::size_t>(ex.fronts)].base_differs_at : 0;
            judge_nbdkit_line(m.state, ex, inner, ctx, out, tc.line, m.stale, line);
          } else if (ctx.rfind(kDirtyBitmapPrefix, 0) == 0) {
            judge_bitmap_line(m.state, ex, ctx, out, tc.line, m.stale, line);
          } else if (ctx != "base:allocation" && ctx != "qemu:allocation-depth") {
            line.notes.push_back("not modelled: context " + ctx);
          } else {
            Graph graph = build_graph(m.state, ex.graph);
            NbdContext c = ctx == "base:allocation" ? NbdContext::BaseAllocation : NbdContext::AllocationDepth;
            u64 len = node_length(m.state, graph, graph.root);
            u64 min_block = out->nbd ? node_alignment(m.state, graph, graph.root) : 1;
            auto extents = nbd_extents(m.state, graph, c, 0, len, min_block);
            for (const auto& e : extents) line.model.push_back(nbdinfo_line(e.start, e.length, e.value, ctx));
            if (out->nbd && !m.stale) {
              Observation p, o;
              p.nbd = NbdObservation{};
              p.nbd->export_size = len;
              p.nbd->block_size.minimum = min_block;
              p.nbd->replies.push_back({ctx, 0, len, extents});
              p.content = content(m.state, graph, graph.root, 0, len);
              o.nbd = out->nbd;
              o.content = out->content;
              Verdict v = judge(p, o, context_for(m.state, ex.graph, tc.line));
              for (auto& f : v.findings) {
                for (const auto& itf : f.interfaces)
                  if (itf == "base:allocation" || itf == "read")
                    m.servers[static_cast<std::size_t>(out->server)].base_differs_at = tc.line;
                line.findings.push_back(f);
              }
            }
            // Seed 004: a layer exported alone and queried is rebuilt over its real chain.
            if (ex.graph.image && ex.graph.backing == GraphSpec::Backing::Null && !ex.graph.child &&
                ex.graph.file_filters.empty() && !m.stale && !replay_inexact &&
                std::none_of(report.rebuild_requests.begin(), report.rebuild_requests.end(),
                             [&](const ReproRebuildRequest& r) { return r.image == *ex.graph.image; })) {
              ReproRebuildRequest req{*ex.graph.image, tc.line, replayed};
              req.scenario.export_spec = ExportSpec{GraphSpec::of_image(*ex.graph.image)};
              report.rebuild_requests.push_back(std::move(req));
            }
            // The replay read the whole export back: through copy-on-read that allocates.
            if (out->content && has_copy_on_read(graph)) read_export(m.state, graph);
          }
        }
      } else if (auto* op = std::get_if<impl::QemuImgChainOp>(&tc.command)) {
        // commit / rebase / convert: the model applies the same operation (chain_operations).
        std::string model_err = apply_step(m.state, op->step);
        if (model_err.empty()) replayed.steps.push_back(op->step);
        if (model_err.find("not modelled") != std::string::npos) {
          m.stale = true;
          m.stale_why = "qemu-img " + op->subcommand + " at line " + std::to_string(tc.line);
          line.notes.push_back("not modelled: " + model_err);
        } else {
          step_divergence(model_err, out ? out->error : "", "qemu-img " + op->subcommand);
        }
      } else if (std::holds_alternative<impl::QmpCommand>(tc.command)) {
        QmpLineResult r = judge_qmp_line(m.state, m.qmp, tc, out, line);
        if (r.export_added) {
          m.servers.push_back({r.export_added->graph, r.export_added->valid, r.export_added->why_not,
                               r.export_added->bitmaps});
          m.servers.back().daemon = std::get<impl::QmpCommand>(tc.command).daemon_line;
        }
        if (r.pivot) follow_pivot(m, *r.pivot, line);
        if (r.stale && !m.stale) {
          m.stale = true;
          m.stale_why = r.stale_why;
        }
        // Runtime bitmap ops change neither content nor allocation: only jobs are replayed.
        if (r.applied_step) replayed.steps.push_back(*r.applied_step);
      } else if (auto* other = std::get_if<impl::QemuImgOther>(&tc.command)) {
        if (other->subcommand != "info" && other->subcommand != "compare") {
          m.stale = true;
          m.stale_why = "qemu-img " + other->subcommand + " at line " + std::to_string(tc.line);
        }
        line.notes.push_back("not modelled: qemu-img " + other->subcommand);
      }
    } catch (const std::exception& e) {
      line.notes.push_back(std::string("not modelled: ") + e.what());
    }
    if (m.stale && !line.model.empty()) line.notes.push_back("model is stale after " + m.stale_why + ": not compared");
    for (Finding& f : line.findings) {
      if (f.where.empty() || f.where == "export") f.where = "line " + std::to_string(tc.line);
      f.versions = run.versions;
    }
    registry.classify(line.findings);
    report.lines.push_back(std::move(line));
  }
  report.picture = picture(m.state);
  return report;
}

namespace {

std::string normalize_text(std::string s) {
  s = std::regex_replace(s, std::regex("\"offset\": [0-9]+"), "\"offset\": OFFSET");
  s = std::regex_replace(s, std::regex("/tmp/[A-Za-z0-9._/-]+"), "TMPDIR");
  // QEMU's automatic node names ("#block175") count every node opened so far in a process.
  s = std::regex_replace(s, std::regex("#block[0-9]+"), "#blockN");
  return s;
}

}  // namespace

std::string render_text(const ReproReport& r, bool normalize) {
  std::string out;
  auto add = [&](const std::string& s) { out += (normalize ? normalize_text(s) : s) + "\n"; };
  if (!normalize) {
    std::string v;
    for (const auto& [k, x] : r.versions) v += (v.empty() ? "" : ", ") + k + " " + x;
    add("chaincheck repro (" + v + ")");
  }
  for (const ReproLine& l : r.lines) {
    add("");
    bool qmp = std::holds_alternative<impl::QmpCommand>(l.command->command);  // has its own prompt
    add("line " + std::to_string(l.command->line) + ": " + (qmp ? "" : "$ ") + l.command->text);
    if (l.outcome && !l.outcome->error.empty()) add("  error: " + l.outcome->error);
    bool real_shown = false;
    if (l.outcome && !l.outcome->output.empty() && !l.model.empty()) {
      add("  real:");
      for (const auto& s : l.outcome->output) add("    " + s);
      real_shown = true;
    }
    if (!l.model.empty()) {
      add("  model:");
      for (const auto& s : l.model) add("    " + s);
    } else if (l.outcome && !real_shown) {
      for (const auto& s : l.outcome->output) add("    " + s);
    }
    if (!l.command->reported.empty()) {
      add("  reporter wrote:");
      for (const auto& s : l.command->reported) add("    " + s);
    }
    for (const auto& n : l.notes) add("  " + n);
    for (const Finding& f : l.findings) {
      add("  FINDING " + describe(f));
      if (!f.expected.empty() || !f.observed.empty()) add("    expected: " + f.expected + "; observed: " + f.observed);
    }
  }
  for (const ReproRebuild& rb : r.rebuilds) {
    add("");
    for (const auto& s : rebuild_text(rb)) add(s);
    for (const Finding& f : rb.findings) {
      add("  FINDING " + describe(f));
      if (!f.expected.empty() || !f.observed.empty()) add("    expected: " + f.expected + "; observed: " + f.observed);
    }
  }
  add("");
  add("chain:");
  for (const auto& s : r.picture) add("  " + s);
  add("");
  add(r.findings() == 0 ? "verdict: clean"
                        : "verdict: " + std::to_string(r.findings()) + " finding(s), " +
                              std::to_string(r.new_findings()) + " new");
  return out;
}

nlohmann::json render_json(const ReproReport& r) {
  nlohmann::json findings = nlohmann::json::array();
  for (const ReproLine& l : r.lines)
    for (const Finding& f : l.findings)
      findings.push_back({{"class", to_string(f.cls)}, {"interface", f.interfaces}, {"line", l.command->line},
                          {"summary", f.summary}, {"expected", f.expected}, {"observed", f.observed},
                          {"rule", f.rule}, {"known", f.known}, {"known_id", f.known_id}});
  nlohmann::json rebuilds = nlohmann::json::array();
  for (const ReproRebuild& rb : r.rebuilds) {
    rebuilds.push_back(rebuild_json(rb));
    for (const Finding& f : rb.findings)
      findings.push_back({{"class", to_string(f.cls)}, {"interface", f.interfaces}, {"line", rb.request.line},
                          {"summary", f.summary}, {"expected", f.expected}, {"observed", f.observed},
                          {"rule", f.rule}, {"known", f.known}, {"known_id", f.known_id}});
  }
  return {{"verdict", findings.empty() ? "clean" : "findings"}, {"findings", findings}, {"versions", r.versions},
          {"rebuilds", rebuilds}};
}

}  // namespace chaincheck::oracle
