#include "model/scenario/model_system.hpp"

#include <stdexcept>

#include <algorithm>
#include <optional>

#include "model/semantics/bitmaps.hpp"
#include "model/semantics/filter_effects.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"
#include "model/semantics/rounding.hpp"
#include "model/scenario/nbdkit_stack.hpp"

namespace chaincheck::model {

std::vector<NbdExtent> context_extents(const NbdObservation& nbd, const std::string& context) {
  std::vector<NbdExtent> out;
  for (const ContextReply& r : nbd.replies)
    if (r.context == context) out.insert(out.end(), r.extents.begin(), r.extents.end());
  return out;
}

std::string apply_step(ModelState& s, const Step& step) {
  std::optional<OpError> err;
  try {
    if (auto* c = std::get_if<CreateStep>(&step)) {
      err = create_image(s, c->options);
    } else if (auto* t = std::get_if<TruncateStep>(&step)) {
      err = truncate_file(s, t->name, t->size);
    } else if (auto* cm = std::get_if<CommitStep>(&step)) {
      err = apply_chain_step(s, *cm);
    } else if (auto* rb = std::get_if<RebaseStep>(&step)) {
      err = apply_chain_step(s, *rb);
    } else if (auto* cv = std::get_if<ConvertStep>(&step)) {
      err = apply_chain_step(s, *cv);
    } else if (auto* b = std::get_if<BitmapStep>(&step)) {
      err = apply_bitmap_command(s, b->command);
    } else if (auto* js = std::get_if<StreamStep>(&step)) {
      err = apply_job_step(s, *js);
    } else if (auto* jc = std::get_if<BlockCommitStep>(&step)) {
      err = apply_job_step(s, *jc);
    } else if (auto* rb = std::get_if<RuntimeBitmapStep>(&step)) {
      err = apply_runtime_bitmap_step(s, *rb);
    } else {
      const IoStep& io = std::get<IoStep>(step);
      err = apply(s, build_graph(s, io.graph), io.op, OpenOptions{true});
    }
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return err ? err->message : std::string();
}

namespace {

NbdObservation predict_nbd(const ModelState& s, const Graph& g, const ExportSpec& ex,
                           const std::vector<Query>& queries, const ModelFaults& faults) {
  NbdObservation nbd;
  nbd.export_size = node_length(s, g, g.root);
  // NBD_INFO_BLOCK_SIZE: min = the top node's request_alignment when the client asked.
  nbd.block_size.minimum = ex.request_block_size ? node_alignment(s, g, g.root) : 1;
  nbd.block_size.preferred = std::max<u64>(4096, nbd.block_size.minimum);
  u64 min_block = nbd.block_size.minimum;
  // Both contexts answer from the same (rounded) status walk: compute it once.
  std::optional<std::vector<StatusExtent>> status;
  for (Query q : queries) {
    if (q != Query::BaseAllocation && q != Query::AllocationDepth) continue;
    NbdContext c = q == Query::BaseAllocation ? NbdContext::BaseAllocation : NbdContext::AllocationDepth;
    nbd.contexts.push_back(to_string(c));
    if (nbd.export_size == 0) continue;
    ContextReply r;
    r.context = to_string(c);
    r.offset = 0;
    r.request_length = nbd.export_size;
    if (!status) {
      status = status_extents(s, g, g.root, 0, nbd.export_size);
      if (min_block > 1) status = round_sticky(*status, min_block, nbd.export_size);
    }
    std::vector<NbdExtent> ex_list;
    ex_list.reserve(status->size());
    for (const StatusExtent& e : *status) {
      BlockStatus b = e.status;
      if (faults.filters_add_depth && c == NbdContext::AllocationDepth && b.depth > 0) {
        // Injected fault: every filter above the first layer adds one.
        int filters = 0;
        for (int n = g.root; n >= 0 && g.node(n).kind != NodeKind::Image; n = g.node(n).child) ++filters;
        if (b.depth > 1) b.depth += static_cast<unsigned>(filters);
      }
      std::uint32_t v = context_value(c, b);
      if (faults.zero_hides_hole && c == NbdContext::BaseAllocation && (v & kNbdZero)) v &= ~kNbdHole;
      ex_list.push_back({e.start, b.pnum, v});
    }
    r.extents = merge_equal(std::move(ex_list));
    nbd.replies.push_back(std::move(r));
  }
  bool bitmaps = std::find(queries.begin(), queries.end(), Query::DirtyBitmaps) != queries.end();
  for (const std::string& name : bitmaps ? ex.bitmaps : std::vector<std::string>{}) {
    const DirtyBitmap* b = find_export_bitmap(s, g, name);
    // nbd_export_create refuses an export naming a bitmap it cannot find.
    if (!b) {
      nbd.error = "Bitmap '" + name + "' is not found";
      continue;
    }
    nbd.contexts.push_back(dirty_bitmap_context(name));
    if (nbd.export_size == 0) continue;
    nbd.replies.push_back({dirty_bitmap_context(name), 0, nbd.export_size,
                           dirty_bitmap_extents(*b, 0, nbd.export_size, min_block)});
  }
  return nbd;
}

}  // namespace

int layout_image(const ModelState& s, const GraphSpec& g) {
  const GraphSpec* n = top_image(g);
  if (!n) return -1;
  int i = s.find(*n->image);
  return i >= 0 && s.image(i).format() == ImageFormat::Qcow2 ? i : -1;
}

Observation predict(const ModelState& s, const Scenario& scenario, ModelFaults faults) {
  Observation obs;
  if (!scenario.export_spec) return obs;
  Graph g;
  try {
    g = build_graph(s, scenario.export_spec->graph);
  } catch (const std::invalid_argument& e) {
    obs.error = e.what();
    return obs;
  }
  bool wants_nbd = false;
  for (Query q : scenario.queries) {
    switch (q) {
      case Query::ImgMap: obs.img_map = qemu_img_map(s, g); break;
      case Query::IoMap: obs.io_map = qemu_io_map(s, g); break;
      case Query::Content: obs.content = content(s, g, g.root, 0, node_length(s, g, g.root)); wants_nbd = true; break;
      case Query::BaseAllocation:
      case Query::AllocationDepth:
      case Query::DirtyBitmaps: wants_nbd = true; break;
      case Query::NbdkitBlocksize: break;
    }
  }
  if (wants_nbd) obs.nbd = predict_nbd(s, g, *scenario.export_spec, scenario.queries, faults);
  int li = layout_image(s, scenario.export_spec->graph);
  // Reading the content through copy-on-read allocates in the overlay: the status queries
  // above were answered first, the layout on disk is the one after the read.
  std::optional<ModelState> after_read;
  if (li >= 0 && obs.content && has_copy_on_read(g)) {
    after_read = s;
    read_export(*after_read, g);
  }
  const ModelState& disk = after_read ? *after_read : s;
  if (std::find(scenario.queries.begin(), scenario.queries.end(), Query::NbdkitBlocksize) != scenario.queries.end()) {
    // nbdkit connects after the qemu-nbd client read everything back (copy-on-read allocated).
    std::optional<ModelState> read_state;
    if (obs.content && has_copy_on_read(g) && !after_read) {
      read_state = s;
      read_export(*read_state, g);
    }
    const ModelState& seen = after_read ? *after_read : read_state ? *read_state : s;
    Graph sg = build_graph(seen, scenario.export_spec->graph);
    obs.nbdkit = predict_nbdkit(seen, sg, {true, campaign_minblock(seen, sg), 0});
    obs.nbdkit_content = content(seen, sg, sg.root, 0, obs.nbdkit->export_size);
  }
  if (li >= 0) {
    std::vector<LayoutExtent> layout;
    for (const auto& e : disk.image(li).qcow2().units.extents()) {
      LayoutExtent l{e.start, e.length, e.value.type, std::nullopt};
      if (has_host_cluster(e.value.type))
        l.host_offset = static_cast<u64>(static_cast<std::int64_t>(e.start) + e.value.host_delta);
      layout.push_back(l);
    }
    obs.top_layout = std::move(layout);
  }
  return obs;
}

Observation ModelSystem::run(const Scenario& scenario) {
  state_ = ModelState{};
  state_.host = scenario.host;
  std::vector<std::string> errors;
  errors.reserve(scenario.steps.size());
  for (const Step& step : scenario.steps) errors.push_back(apply_step(state_, step));
  Observation obs = predict(state_, scenario, faults_);
  obs.step_errors = std::move(errors);
  obs.versions["model"] = "chaincheck-model";
  return obs;
}

}  // namespace chaincheck::model
