#include "oracle/transcript_replay_qmp.hpp"

#include "impl/scenario/qemu_graph.hpp"
#include "impl/scenario/qsd_graph.hpp"
#include "model/scenario/block_job_steps.hpp"
#include "model/semantics/runtime_bitmaps.hpp"
#include "oracle/judge.hpp"

namespace chaincheck::oracle {

using namespace chaincheck::model;
using nlohmann::json;

namespace {

// The model's graph of a daemon's node; why not when it is none the model knows.
struct NodeGraph {
  std::optional<GraphSpec> graph;
  std::string why_not;
};

NodeGraph node_graph(const QmpDaemonModel& d, const std::string& node) {
  if (!d.graph_unknown.empty()) return {std::nullopt, d.graph_unknown};
  try {
    auto p = impl::graph_from_qemu_options(impl::nest_blockdevs(d.nodes, node));
    if (!p.graph) return {std::nullopt, "node '" + node + "': " + p.why_not};
    return {p.graph, ""};
  } catch (const std::exception& e) {
    return {std::nullopt, e.what()};
  }
}

// The image of a format node (no filter above it); nullopt with why otherwise.
std::optional<std::string> node_image(const QmpDaemonModel& d, const std::string& node, std::string* why) {
  NodeGraph g = node_graph(d, node);
  if (!g.graph) {
    *why = g.why_not;
    return std::nullopt;
  }
  if (!g.graph->image) {
    *why = "node '" + node + "' is a filter, not an image";
    return std::nullopt;
  }
  return g.graph->image;
}

bool read_only_node(const QmpDaemonModel& d, const std::string& node) {
  for (const json& n : d.nodes)
    if (n.value("node-name", "") == node && n.contains("read-only")) {
      const json& v = n["read-only"];
      return v.is_boolean() ? v.get<bool>() : (v.is_string() && (v == "on" || v == "true" || v == "yes"));
    }
  return false;
}

// The jobs' model opens a chain from its headers (model/semantics/block_jobs.hpp): a daemon graph
// that names its backing nodes must name the same chain, with no filter in it.
bool chain_from_headers(const ModelState& s, const GraphSpec& g, std::string* why) {
  for (const GraphSpec* at = &g; at;) {
    if (!at->image || !at->file_filters.empty()) {
      *why = "a filter in the job's chain (" + describe(g) + ")";
      return false;
    }
    int i = s.find(*at->image);
    if (i < 0) {
      *why = "'" + *at->image + "' is not an image the transcript created";
      return false;
    }
    const Image& img = s.image(i);
    std::optional<std::string> header;
    if (img.format() == ImageFormat::Qcow2) header = img.qcow2().backing_file;
    if (at->backing == GraphSpec::Backing::FromHeader) return true;
    if (at->backing == GraphSpec::Backing::Null) {
      if (header) *why = "backing: null hides " + *at->image + "'s backing file";
      return !header;
    }
    if (!header || !at->child || !at->child->image || *at->child->image != *header) {
      *why = "the daemon's chain (" + describe(g) + ") is not the one the headers name";
      return false;
    }
    at = at->child.get();
  }
  return true;
}

// A node argument (NODE_KEY, a node name) or a filename argument (FILE_KEY, matched against
// the chain's backing file names by QEMU: the transcript's image names).
std::optional<std::string> image_arg(const QmpDaemonModel& d, const json& args, const char* node_key,
                                     const char* file_key, std::string* why) {
  if (node_key && args.contains(node_key)) return node_image(d, args[node_key].get<std::string>(), why);
  if (file_key && args.contains(file_key)) return args[file_key].get<std::string>();
  return std::nullopt;
}

bool only_keys(const json& args, std::initializer_list<const char*> keys, std::string* extra) {
  for (const auto& [k, v] : args.items()) {
    bool known = false;
    for (const char* key : keys) known |= k == key;
    if (!known) {
      *extra = k;
      return false;
    }
  }
  return true;
}

struct Judged {
  std::vector<std::string> notes;
  std::string stale_why;  // set: the model stops following the images
};

// block-stream / block-commit: the model's job step, or why not.
std::optional<Step> job_step(const ModelState& s, const QmpDaemonModel& d, const std::string& execute, const json& args,
                             std::string* why) {
  std::string extra;
  const std::string device = args.value("device", "");
  NodeGraph dev = node_graph(d, device);
  if (!dev.graph) {
    *why = dev.why_not;
    return std::nullopt;
  }
  if (!dev.graph->image) {
    *why = "node '" + device + "' is a filter, not an image";
    return std::nullopt;
  }
  if (!chain_from_headers(s, *dev.graph, why)) return std::nullopt;
  if (execute == "block-stream") {
    if (!only_keys(args, {"job-id", "device", "base", "base-node", "auto-finalize", "auto-dismiss", "speed"}, &extra)) {
      *why = "block-stream option '" + extra + "'";
      return std::nullopt;
    }
    StreamStep st{{.image = *dev.graph->image}};
    st.options.base = image_arg(d, args, "base-node", "base", why);
    if (!why->empty()) return std::nullopt;
    return st;
  }
  if (!only_keys(args, {"job-id", "device", "top", "top-node", "base", "base-node", "auto-finalize", "auto-dismiss",
                        "speed"},
                 &extra)) {
    *why = "block-commit option '" + extra + "'";
    return std::nullopt;
  }
  BlockCommitStep bc{{.overlay = *dev.graph->image}};
  auto top = image_arg(d, args, "top-node", "top", why);
  if (!why->empty()) return std::nullopt;
  // No top, or the device itself: an active commit (qmp_block_commit -> commit_active_start);
  // the runner sends job-complete when it is READY, as the model's step assumes.
  bc.options.top = top ? *top : bc.options.overlay;
  bc.options.base = image_arg(d, args, "base-node", "base", why);
  if (!why->empty()) return std::nullopt;
  return bc;
}

// The node an active commit pivots to: the base as the device's chain `dev` opened it (its
// subtree where the chain names it, else the image opened from its header); nullopt when
// the chain does not reach it. No base: the bottom of the chain.
std::optional<GraphSpec> pivot_target(const ModelState& s, const GraphSpec& dev, const std::optional<std::string>& base) {
  for (const GraphSpec* at = &dev; at && at->image; at = at->child.get()) {
    if (base && *at->image == *base) return *at;
    if (at->backing == GraphSpec::Backing::Explicit && at->child) continue;
    if (at->backing == GraphSpec::Backing::Null) return base ? std::nullopt : std::optional<GraphSpec>(*at);
    // The rest of the chain comes from the headers.
    std::string image = *at->image;
    for (int guard = 0; guard < 64; ++guard) {
      int i = s.find(image);
      if (i < 0) return std::nullopt;
      std::optional<std::string> next;
      if (s.image(i).format() == ImageFormat::Qcow2) next = s.image(i).qcow2().backing_file;
      if (!next) {
        if (base) return std::nullopt;
        return image == *at->image ? std::optional<GraphSpec>(*at) : GraphSpec::of_image(image);
      }
      image = *next;
      if (base && image == *base) return GraphSpec::of_image(image);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// The daemon's graph after a job that completed: stream_prepare / commit's
// bdrv_drop_intermediate link the node above the removed layers to the base (or, for a
// stream without a base, to nothing). Nodes that name their backing by node name follow.
void relink_after_job(QmpDaemonModel& d, const std::string& execute, const json& args) {
  auto str = [&](const char* k) { return args.contains(k) && args[k].is_string() ? args[k].get<std::string>() : ""; };
  json base = str("base-node").empty() ? json(nullptr) : json(str("base-node"));
  for (json& n : d.nodes) {
    if (!n.contains("backing") || !n["backing"].is_string()) continue;
    if (execute == "block-stream" && n.value("node-name", "") == str("device") && !args.contains("base"))
      n["backing"] = base;
    if (execute == "block-commit" && n["backing"] == str("top-node") && !str("base-node").empty()) n["backing"] = base;
  }
}

std::optional<BitmapAction::Kind> bitmap_command(const std::string& execute) {
  const std::string prefix = "block-dirty-bitmap-";
  if (execute.rfind(prefix, 0) != 0) return std::nullopt;
  return bitmap_action_from_string(execute.substr(prefix.size()));
}

// block-dirty-bitmap-*: the model's runtime bitmap op, or why not.
std::optional<RuntimeBitmapOp> bitmap_op(const ModelState& s, const QmpDaemonModel& d, BitmapAction::Kind kind,
                                         const json& args, std::string* why) {
  const std::string node = args.value("node", "");
  auto image = node_image(d, node, why);
  if (!image) return std::nullopt;
  int i = s.find(*image);
  if (i < 0 || s.image(i).format() != ImageFormat::Qcow2) {
    *why = "bitmaps on " + *image + " (the model keeps bitmaps on qcow2 images only)";
    return std::nullopt;
  }
  // Bitmaps a read-only node loaded are read-only (BDRV_BITMAP_RO): not modelled.
  if (read_only_node(d, node)) {
    *why = "bitmaps on the read-only node '" + node + "'";
    return std::nullopt;
  }
  RuntimeBitmapOp op;
  op.kind = kind;
  op.image = *image;
  op.name = args.value(kind == BitmapAction::Kind::Merge ? "target" : "name", "");
  if (kind == BitmapAction::Kind::Add) {
    if (args.contains("granularity")) op.granularity = args["granularity"].get<u64>();
    op.persistent = args.value("persistent", false);
    op.disabled = args.value("disabled", false);
  }
  if (kind == BitmapAction::Kind::Merge) {
    // BlockDirtyBitmapOrStr: a name on the same node, or {"node", "name"}.
    for (const json& src : args.value("bitmaps", json::array())) {
      if (src.is_string()) {
        op.sources.emplace_back(*image, src.get<std::string>());
        continue;
      }
      auto src_image = node_image(d, src.value("node", ""), why);
      if (!src_image) return std::nullopt;
      op.sources.emplace_back(*src_image, src.value("name", ""));
    }
  }
  return op;
}

}  // namespace

bool replace_pivoted_node(GraphSpec& g, const std::string& top, const GraphSpec& base) {
  if (g.image && *g.image == top) {
    g = base;
    return true;
  }
  // A filter's child, or an image's explicit backing: both are parents of the device too.
  return g.child && replace_pivoted_node(*g.child, top, base);
}

void start_daemon_model(QmpReplay& replay, int line, const impl::StorageDaemonRun& daemon) {
  QmpDaemonModel d;
  for (const auto& b : daemon.blockdevs) d.nodes.push_back(json::parse(b));
  replay.daemons[line] = std::move(d);
}

QmpLineResult judge_qmp_line(ModelState& state, QmpReplay& replay, const impl::TranscriptCommand& tc,
                             const impl::CommandOutcome* out, ReproLine& line) {
  QmpLineResult result;
  const auto& q = std::get<impl::QmpCommand>(tc.command);
  QmpDaemonModel& d = replay.daemons[q.daemon_line];
  const std::string real_err = out ? out->error : "";
  const bool real_ok = out && out->error.empty();
  auto stale = [&](const std::string& why) {
    result.stale = true;
    result.stale_why = why + " at line " + std::to_string(tc.line);
  };
  auto not_modelled = [&](const std::string& why, bool changes_images) {
    line.notes.push_back("not modelled: " + why);
    if (changes_images && real_ok) stale("QMP " + q.execute);
  };
  json args = json::parse(q.arguments);
  try {
    if (!d.alive) {
      line.notes.push_back("not modelled: the daemon of line " + std::to_string(q.daemon_line) + " is gone");
    } else if (q.execute == "qmp_capabilities") {
      line.notes.push_back("not modelled: chaincheck negotiated capabilities when it connected");
    } else if (q.execute.rfind("query-", 0) == 0 || q.execute == "x-debug-query-block-graph") {
      not_modelled("QMP " + q.execute + " (a query)", false);
    } else if (q.execute == "quit") {
      for (const auto& image : d.bitmap_images) close_runtime_bitmaps(state, image);
      d.alive = false;
      line.notes.push_back("modelled: the daemon closes its images (runtime bitmaps that are not persistent vanish)");
    } else if (q.execute == "blockdev-add") {
      if (real_ok) d.nodes.push_back(args);
      line.notes.push_back("not modelled: blockdev-add (the node joins the model's view of the daemon's graph)");
    } else if (q.execute == "block-export-add") {
      QmpExportModel ex;
      std::string node = args.value("node-name", "");
      NodeGraph g = node_graph(d, node);
      if (g.graph) {
        ex.graph = *g.graph;
        ex.valid = true;
      } else {
        ex.why_not = g.why_not;
      }
      ex.bitmaps = args.value("bitmaps", std::vector<std::string>{});
      line.notes.push_back(ex.valid ? "modelled: export '" + args.value("name", node) + "' of " + describe(ex.graph)
                                    : "not modelled: export: " + ex.why_not);
      if (ex.valid) {
        // nbd_export_create: each bitmap is looked for down the chain; an enabled one on a
        // writable node cannot go into a read-only export. Judged only when every bitmap
        // is on the export's own image (the model does not follow other nodes' writability).
        Graph graph = build_graph(state, ex.graph);
        const Image* root = ex.graph.image ? &state.image(state.find(*ex.graph.image)) : nullptr;
        std::string model_err;
        bool judged = root != nullptr;
        for (const auto& name : ex.bitmaps) {
          const DirtyBitmap* b = find_export_bitmap(state, graph, name);
          if (!b) {
            model_err = "Bitmap '" + name + "' is not found";
            break;
          }
          bool on_root = root && root->format() == ImageFormat::Qcow2 &&
                         b >= root->qcow2().bitmaps.data() && b < root->qcow2().bitmaps.data() + root->qcow2().bitmaps.size();
          judged &= on_root;
          if (on_root && b->enabled && !args.value("writable", false) && !read_only_node(d, node)) {
            model_err = "Enabled bitmap '" + name + "' incompatible with readonly export";
            break;
          }
        }
        if (judged || !model_err.empty()) add_step_divergence(model_err, real_err, q.execute, tc.line, line);
        else line.notes.push_back("not judged: a bitmap below the export's own image");
      }
      result.export_added = ex;
    } else if (q.execute == "block-stream" || q.execute == "block-commit") {
      std::string why;
      auto step = job_step(state, d, q.execute, args, &why);
      if (!step) {
        not_modelled(q.execute + ": " + why, true);
      } else {
        std::optional<OpError> err = std::holds_alternative<StreamStep>(*step)
                                         ? apply_job_step(state, std::get<StreamStep>(*step))
                                         : apply_job_step(state, std::get<BlockCommitStep>(*step));
        line.notes.push_back("modelled: " + describe(*step));
        if (!err) result.applied_step = *step;
        std::size_t before = line.findings.size();
        add_step_divergence(err ? err->message : "", real_err, q.execute, tc.line, line);
        if (line.findings.size() != before) stale(q.execute + " went differently");
        else if (!err && real_ok) relink_after_job(d, q.execute, args);
        // mirror_exit_common's bdrv_replace_node moves the device's parents onto the base:
        // what the daemon's nodes show afterwards is not followed (the images still are).
        if (auto* bc = std::get_if<BlockCommitStep>(&*step); bc && bc->options.top == bc->options.overlay) {
          // Its existing exports follow the pivot (QmpPivot); later node names do not.
          if (!err && real_ok && line.findings.size() == before) {
            QmpPivot p{q.daemon_line, bc->options.top, std::nullopt, ""};
            NodeGraph dev = node_graph(d, args.value("device", ""));
            if (dev.graph) p.base = pivot_target(state, *dev.graph, bc->options.base);
            if (!p.base) p.why_not = "the base an active commit pivoted to (line " + std::to_string(tc.line) + ")";
            result.pivot = p;
          }
          d.graph_unknown = "the daemon's graph after an active commit's pivot (line " + std::to_string(tc.line) + ")";
        }
      }
    } else if (auto kind = bitmap_command(q.execute)) {
      std::string why;
      auto op = bitmap_op(state, d, *kind, args, &why);
      if (!op) {
        // Runtime bitmaps elsewhere do not change what the model compares (bitmaps it
        // does not have are reported as such): the model stays valid.
        not_modelled(q.execute + ": " + why, false);
      } else {
        auto err = apply_runtime_bitmap_op(state, *op);
        if (!err && *kind == BitmapAction::Kind::Add) d.bitmap_images.insert(op->image);
        line.notes.push_back("modelled: " + q.execute + " on " + op->image);
        add_step_divergence(err ? err->message : "", real_err, q.execute, tc.line, line);
      }
    } else {
      not_modelled("QMP " + q.execute, true);
    }
  } catch (const std::exception& e) {
    not_modelled(q.execute + ": " + e.what(), true);
  }
  // The daemon died under this command: a finding of its own unless the step's already says it.
  if (out && !out->server_crash.empty()) {
    d.alive = false;
    stale("qemu-storage-daemon crash");
    if (line.findings.empty()) {
      Observation p, o;
      o.server_crash = out->server_crash;
      JudgeContext ctx;
      ctx.where = "line " + std::to_string(tc.line);
      for (auto& f : judge(p, o, ctx).findings) line.findings.push_back(f);
    }
  }
  return result;
}

}  // namespace chaincheck::oracle
