#include "model/scenario/scenario.hpp"

#include <stdexcept>

namespace chaincheck::model {

GraphSpec GraphSpec::of_image(std::string name, bool backing_null) {
  GraphSpec g;
  g.image = std::move(name);
  g.backing = backing_null ? Backing::Null : Backing::FromHeader;
  return g;
}

bool GraphSpec::operator==(const GraphSpec& o) const {
  bool children = (!child && !o.child) || (child && o.child && *child == *o.child);
  return image == o.image && backing == o.backing && filter == o.filter && align == o.align &&
         offset == o.offset && size == o.size && file_filters == o.file_filters && children;
}

namespace {

int add_spec(Graph& g, const ModelState& s, const GraphSpec& spec) {
  if (spec.image) {
    int img = s.find(*spec.image);
    if (img < 0) throw std::invalid_argument("graph names unknown image '" + *spec.image + "'");
    BackingChoice b;
    if (spec.backing == GraphSpec::Backing::Null) b.kind = BackingChoice::Kind::Null;
    if (spec.backing == GraphSpec::Backing::Explicit) {
      if (!spec.child) throw std::invalid_argument("explicit backing without a node");
      b.kind = BackingChoice::Kind::Node;
      b.node = add_spec(g, s, *spec.child);
    }
    // file_filters are transparent for the format node's status and content
    // (model/semantics/filter_effects.hpp): they add no model node.
    return add_image_node(g, s, img, b);
  }
  if (!spec.child) throw std::invalid_argument(std::string(to_string(spec.filter)) + " filter without a child");
  Node n;
  n.kind = spec.filter;
  n.child = add_spec(g, s, *spec.child);
  n.align = spec.align ? spec.align : 1;
  n.window_offset = spec.offset;
  n.window_size = spec.size;
  return g.add(n);
}

}  // namespace

Graph build_graph(const ModelState& s, const GraphSpec& spec) {
  Graph g;
  g.root = add_spec(g, s, spec);
  return g;
}

const GraphSpec* top_image(const GraphSpec& spec) {
  const GraphSpec* n = &spec;
  while (!n->image) {
    if (n->filter == NodeKind::RawWindow || !n->child) return nullptr;
    n = n->child.get();
  }
  return n;
}

std::string describe(const GraphSpec& spec) {
  if (spec.image) {
    std::string out = *spec.image;
    for (const ProtocolFilter& f : spec.file_filters) {
      out += std::string("[file: ") + to_string(f.kind);
      if (f.kind == NodeKind::Blkdebug) out += "(align=" + std::to_string(f.align) + ")";
      out += "]";
    }
    if (spec.backing == GraphSpec::Backing::Null) out += "(backing: null)";
    if (spec.backing == GraphSpec::Backing::Explicit && spec.child) out += " > " + describe(*spec.child);
    return out;
  }
  std::string out = to_string(spec.filter);
  if (spec.filter == NodeKind::Blkdebug) out += "(align=" + std::to_string(spec.align) + ")";
  if (spec.filter == NodeKind::RawWindow) {
    out += "(offset=" + std::to_string(spec.offset);
    if (spec.size) out += ",size=" + std::to_string(*spec.size);
    out += ")";
  }
  return out + " > " + (spec.child ? describe(*spec.child) : std::string("?"));
}

std::string describe(const Step& step) {
  if (auto* c = std::get_if<CreateStep>(&step)) {
    const CreateOptions& o = c->options;
    std::string out = "create " + o.name + " " + to_string(o.format);
    if (o.size) out += " size=" + std::to_string(*o.size);
    if (o.format == ImageFormat::Qcow2) {
      out += " cluster=" + std::to_string(u64{1} << o.cluster_bits);
      if (o.extended_l2) out += " extended_l2";
      if (!o.v3) out += " compat=0.10";
      if (o.preallocation != Preallocation::Off) out += std::string(" prealloc=") + to_string(o.preallocation);
    }
    if (o.backing_file) out += " backing=" + *o.backing_file;
    return out;
  }
  if (auto* t = std::get_if<TruncateStep>(&step)) return "truncate " + t->name + " " + std::to_string(t->size);
  if (auto* c = std::get_if<CommitStep>(&step)) return describe(*c);
  if (auto* r = std::get_if<RebaseStep>(&step)) return describe(*r);
  if (auto* v = std::get_if<ConvertStep>(&step)) return describe(*v);
  if (auto* j = std::get_if<StreamStep>(&step)) return describe(*j);
  if (auto* j = std::get_if<BlockCommitStep>(&step)) return describe(*j);
  if (auto* r = std::get_if<RuntimeBitmapStep>(&step)) return describe(*r);
  if (auto* b = std::get_if<BitmapStep>(&step)) {
    const BitmapCommand& c = b->command;
    std::string out = "bitmap";
    for (const BitmapAction& a : c.actions) {
      out += std::string(" --") + to_string(a.kind);
      if (a.kind == BitmapAction::Kind::Merge) out += " " + a.source;
    }
    if (c.granularity) out += " -g " + std::to_string(*c.granularity);
    if (c.source_image) out += " -b " + *c.source_image;
    return out + " " + c.image + " " + c.bitmap;
  }
  const IoStep& io = std::get<IoStep>(step);
  std::string out = std::string(to_string(io.op.kind)) + " " + std::to_string(io.op.offset) + "+" +
                    std::to_string(io.op.length);
  if (io.op.kind == OpKind::Write || io.op.kind == OpKind::WriteCompressed)
    out += " pattern=" + std::to_string(io.op.pattern);
  if (io.op.kind == OpKind::WriteZeroes && io.op.may_unmap) out += " unmap";
  return out + " on " + describe(io.graph);
}

const char* to_string(Query q) {
  switch (q) {
    case Query::ImgMap: return "map";
    case Query::IoMap: return "qemu-io-map";
    case Query::BaseAllocation: return "base:allocation";
    case Query::AllocationDepth: return "qemu:allocation-depth";
    case Query::Content: return "content";
    case Query::DirtyBitmaps: return "qemu:dirty-bitmap";
    case Query::NbdkitBlocksize: return "nbdkit-blocksize";
  }
  return "?";
}

std::optional<Query> query_from_string(const std::string& s) {
  for (Query q : {Query::ImgMap, Query::IoMap, Query::BaseAllocation, Query::AllocationDepth, Query::Content,
                  Query::DirtyBitmaps, Query::NbdkitBlocksize})
    if (s == to_string(q)) return q;
  return std::nullopt;
}

}  // namespace chaincheck::model
