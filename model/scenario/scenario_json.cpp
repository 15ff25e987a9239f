#include "model/scenario/scenario_json.hpp"

#include "model/scenario/json_fields.hpp"
#include "model/semantics/projections/dirty_bitmap.hpp"
#include "model/scenario/sizes.hpp"

namespace chaincheck::model {

using nlohmann::json;

namespace {

using json_fields::bool_or;
using json_fields::fail;
using json_fields::field;
using json_fields::only_keys;
using json_fields::string_field;

u64 size_value(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) return v.get<u64>();
  if (v.is_number_integer()) {
    if (v.get<std::int64_t>() < 0) fail(path, "must not be negative");
    return v.get<u64>();
  }
  if (v.is_string()) {
    if (auto n = parse_size(v.get<std::string>())) return *n;
    fail(path, "'" + v.get<std::string>() + "' is not a size (e.g. 65536, 64k, 1M)");
  }
  fail(path, "expected a size");
}

u64 size_field(const json& j, const std::string& path, const char* key) {
  return size_value(field(j, path, key), path + "." + key);
}

ImageFormat format_value(const json& v, const std::string& path) {
  if (v == "raw") return ImageFormat::Raw;
  if (v == "qcow2") return ImageFormat::Qcow2;
  fail(path, "unknown format (expected raw or qcow2)");
}

unsigned log2_exact(u64 v, const std::string& path) {
  for (unsigned b = 9; b <= 21; ++b)
    if (v == (u64{1} << b)) return b;
  fail(path, std::to_string(v) + " is not a power of two between 512 and 2M");
}

CreateOptions create_from_json(const json& j, const std::string& path) {
  only_keys(j, path, {"name", "format", "size", "cluster_size", "extended_l2", "compat", "preallocation",
                      "backing", "backing_format"});
  CreateOptions o;
  o.name = string_field(j, path, "name");
  o.format = format_value(field(j, path, "format"), path + ".format");
  if (j.contains("size")) o.size = size_field(j, path, "size");
  if (j.contains("cluster_size")) o.cluster_bits = log2_exact(size_field(j, path, "cluster_size"), path + ".cluster_size");
  o.extended_l2 = bool_or(j, path, "extended_l2", false);
  if (j.contains("compat")) {
    std::string c = string_field(j, path, "compat");
    if (c != "0.10" && c != "1.1") fail(path + ".compat", "expected \"0.10\" or \"1.1\"");
    o.v3 = c == "1.1";
  }
  if (j.contains("preallocation")) {
    std::string p = string_field(j, path, "preallocation");
    if (p == "off") o.preallocation = Preallocation::Off;
    else if (p == "metadata") o.preallocation = Preallocation::Metadata;
    else if (p == "falloc") o.preallocation = Preallocation::Falloc;
    else if (p == "full") o.preallocation = Preallocation::Full;
    else fail(path + ".preallocation", "expected off, metadata, falloc or full");
  }
  if (j.contains("backing")) o.backing_file = string_field(j, path, "backing");
  if (j.contains("backing_format")) o.backing_format = format_value(j["backing_format"], path + ".backing_format");
  if (o.backing_file && !o.backing_format) fail(path + ".backing_format", "missing (always name the backing format)");
  return o;
}

NodeKind filter_value(const std::string& name, const std::string& path) {
  for (NodeKind k : {NodeKind::Blkdebug, NodeKind::RawWindow, NodeKind::CopyOnRead, NodeKind::Throttle,
                     NodeKind::Preallocate, NodeKind::Compress})
    if (name == to_string(k)) return k;
  fail(path, "unknown filter '" + name + "' (expected blkdebug, raw, copy-on-read, throttle, preallocate, compress)");
}

OpKind op_value(const std::string& name, const std::string& path) {
  for (OpKind k : {OpKind::Write, OpKind::WriteZeroes, OpKind::Discard, OpKind::WriteCompressed})
    if (name == to_string(k)) return k;
  fail(path, "unknown operation '" + name + "' (expected write, write-zeroes, discard, write-compressed)");
}

// Filters over an image's file node: [{"filter": "blkdebug", "align": 4096}, {"filter": "throttle"}].
std::vector<ProtocolFilter> file_filters_from_json(const json& j, const std::string& path) {
  if (!j.is_array()) fail(path, "expected an array of filters");
  std::vector<ProtocolFilter> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::string p = path + "[" + std::to_string(i) + "]";
    if (!j[i].is_object()) fail(p, "expected an object");
    only_keys(j[i], p, {"filter", "align"});
    ProtocolFilter f;
    f.kind = filter_value(string_field(j[i], p, "filter"), p + ".filter");
    if (f.kind != NodeKind::Blkdebug && f.kind != NodeKind::Throttle && f.kind != NodeKind::Preallocate)
      fail(p + ".filter", "over a file node only blkdebug, throttle and preallocate are modelled");
    if (f.kind == NodeKind::Blkdebug) {
      f.align = size_field(j[i], p, "align");
      if (f.align == 0 || (f.align & (f.align - 1))) fail(p + ".align", "must be a power of two");
    } else if (j[i].contains("align")) {
      fail(p + ".align", "only blkdebug has align");
    }
    out.push_back(f);
  }
  return out;
}

BitmapCommand bitmap_from_json(const json& j, const std::string& path) {
  only_keys(j, path, {"image", "name", "actions", "granularity", "source_image"});
  BitmapCommand c;
  c.image = string_field(j, path, "image");
  c.bitmap = string_field(j, path, "name");
  const json& acts = field(j, path, "actions");
  if (!acts.is_array() || acts.empty()) fail(path + ".actions", "expected a non-empty array");
  for (std::size_t i = 0; i < acts.size(); ++i) {
    std::string ap = path + ".actions[" + std::to_string(i) + "]";
    BitmapAction a;
    if (acts[i].is_object()) {
      only_keys(acts[i], ap, {"merge"});
      a.kind = BitmapAction::Kind::Merge;
      a.source = string_field(acts[i], ap, "merge");
    } else if (acts[i].is_string()) {
      auto k = bitmap_action_from_string(acts[i].get<std::string>());
      if (!k || *k == BitmapAction::Kind::Merge)
        fail(ap, "unknown action '" + acts[i].get<std::string>() +
                     "' (expected add, remove, clear, enable, disable or {\"merge\": SOURCE})");
      a.kind = *k;
    } else {
      fail(ap, "expected an action name or {\"merge\": SOURCE}");
    }
    c.actions.push_back(a);
  }
  if (j.contains("granularity")) c.granularity = size_field(j, path, "granularity");
  if (j.contains("source_image")) c.source_image = string_field(j, path, "source_image");
  return c;
}

}  // namespace

GraphSpec graph_from_json(const json& j, const std::string& path) {
  if (!j.is_object()) fail(path, "expected an object");
  GraphSpec g;
  if (j.contains("image")) {
    only_keys(j, path, {"image", "backing", "file_filters"});
    g.image = string_field(j, path, "image");
    if (j.contains("file_filters")) g.file_filters = file_filters_from_json(j["file_filters"], path + ".file_filters");
    if (j.contains("backing")) {
      if (j["backing"].is_null()) {
        g.backing = GraphSpec::Backing::Null;
      } else {
        g.backing = GraphSpec::Backing::Explicit;
        g.child = std::make_shared<GraphSpec>(graph_from_json(j["backing"], path + ".backing"));
      }
    }
    return g;
  }
  only_keys(j, path, {"filter", "align", "offset", "size", "child"});
  g.filter = filter_value(string_field(j, path, "filter"), path + ".filter");
  g.child = std::make_shared<GraphSpec>(graph_from_json(field(j, path, "child"), path + ".child"));
  if (g.filter == NodeKind::Blkdebug) {
    g.align = size_field(j, path, "align");
    if (g.align == 0 || (g.align & (g.align - 1))) fail(path + ".align", "must be a power of two");
  } else if (j.contains("align")) {
    fail(path + ".align", "only blkdebug has align");
  }
  if (j.contains("offset") || j.contains("size")) {
    if (g.filter != NodeKind::RawWindow) fail(path, "only the raw filter has offset/size");
    if (j.contains("offset")) g.offset = size_field(j, path, "offset");
    if (j.contains("size")) g.size = size_field(j, path, "size");
  }
  return g;
}

Scenario scenario_from_json(const json& j) {
  if (!j.is_object()) fail("scenario", "expected a JSON object");
  only_keys(j, "scenario", {"name", "seed", "host", "steps", "export", "queries"});
  Scenario s;
  if (j.contains("name")) s.name = string_field(j, "scenario", "name");
  if (j.contains("seed")) s.seed = size_field(j, "scenario", "seed");
  if (j.contains("host")) {
    const json& h = j["host"];
    only_keys(h, "host", {"granularity", "zeroing_makes_holes"});
    if (h.contains("granularity")) s.host.granularity = size_field(h, "host", "granularity");
    s.host.zeroing_makes_holes = bool_or(h, "host", "zeroing_makes_holes", true);
  }
  const json& steps = field(j, "scenario", "steps");
  if (!steps.is_array()) fail("steps", "expected an array");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    std::string path = "steps[" + std::to_string(i) + "]";
    const json& st = steps[i];
    if (!st.is_object() || st.size() != 1) fail(path, "expected one of {\"create\": ...}, {\"truncate\": ...}, {\"io\": ...}, {\"commit\": ...}, {\"rebase\": ...}, {\"convert\": ...}, {\"bitmap\": ...}, {\"stream\": ...}, {\"block-commit\": ...}, {\"qmp-bitmaps\": ...}");
    if (st.contains("create")) {
      s.steps.push_back(CreateStep{create_from_json(st["create"], path + ".create")});
    } else if (st.contains("truncate")) {
      const json& t = st["truncate"];
      only_keys(t, path + ".truncate", {"name", "size"});
      s.steps.push_back(TruncateStep{string_field(t, path + ".truncate", "name"), size_field(t, path + ".truncate", "size")});
    } else if (st.contains("io")) {
      const json& io = st["io"];
      std::string p = path + ".io";
      only_keys(io, p, {"graph", "image", "op", "offset", "length", "pattern", "unmap"});
      IoStep step;
      if (io.contains("graph")) step.graph = graph_from_json(io["graph"], p + ".graph");
      else step.graph = GraphSpec::of_image(string_field(io, p, "image"));
      step.op.kind = op_value(string_field(io, p, "op"), p + ".op");
      step.op.offset = size_field(io, p, "offset");
      step.op.length = size_field(io, p, "length");
      if (io.contains("pattern")) {
        u64 pat = size_field(io, p, "pattern");
        if (pat > 255) fail(p + ".pattern", "must be a byte (0..255)");
        step.op.pattern = static_cast<std::uint8_t>(pat);
      }
      step.op.may_unmap = bool_or(io, p, "unmap", false);
      s.steps.push_back(step);
    } else if (st.contains("commit")) {
      s.steps.push_back(commit_step_from_json(st["commit"], path + ".commit"));
    } else if (st.contains("rebase")) {
      s.steps.push_back(rebase_step_from_json(st["rebase"], path + ".rebase"));
    } else if (st.contains("convert")) {
      s.steps.push_back(convert_step_from_json(st["convert"], path + ".convert"));
    } else if (st.contains("bitmap")) {
      s.steps.push_back(BitmapStep{bitmap_from_json(st["bitmap"], path + ".bitmap")});
    } else if (st.contains("stream")) {
      s.steps.push_back(stream_step_from_json(st["stream"], path + ".stream"));
    } else if (st.contains("block-commit")) {
      s.steps.push_back(block_commit_step_from_json(st["block-commit"], path + ".block-commit"));
    } else if (st.contains("qmp-bitmaps")) {
      s.steps.push_back(runtime_bitmap_step_from_json(st["qmp-bitmaps"], path + ".qmp-bitmaps"));
    } else {
      fail(path, "unknown step '" + st.begin().key() +
                     "' (expected create, truncate, io, commit, rebase, convert, bitmap, stream, block-commit or qmp-bitmaps)");
    }
  }
  if (j.contains("export")) {
    const json& e = j["export"];
    only_keys(e, "export", {"graph", "request_block_size"});
    ExportSpec ex;
    ex.graph = graph_from_json(field(e, "export", "graph"), "export.graph");
    ex.request_block_size = bool_or(e, "export", "request_block_size", true);
    s.export_spec = ex;
  }
  if (j.contains("queries")) {
    const json& q = j["queries"];
    if (!q.is_array()) fail("queries", "expected an array");
    for (std::size_t i = 0; i < q.size(); ++i) {
      std::string path = "queries[" + std::to_string(i) + "]";
      if (!q[i].is_string()) fail(path, "expected a string");
      const std::string text = q[i].get<std::string>();
      if (text.rfind(kDirtyBitmapPrefix, 0) == 0) {
        // qemu:dirty-bitmap:NAME: export NAME (qemu-nbd -B NAME) and query its context.
        std::string name = text.substr(std::string(kDirtyBitmapPrefix).size());
        if (name.empty()) fail(path, "qemu:dirty-bitmap: needs a bitmap name");
        if (!s.export_spec) fail("export", "queries need an export");
        s.export_spec->bitmaps.push_back(name);
        bool have = false;
        for (Query x : s.queries) have = have || x == Query::DirtyBitmaps;
        if (!have) s.queries.push_back(Query::DirtyBitmaps);
        continue;
      }
      auto v = query_from_string(text);
      if (!v || *v == Query::DirtyBitmaps)
        fail(path, "unknown query '" + text +
                       "' (expected map, qemu-io-map, base:allocation, qemu:allocation-depth, content, "
                       "qemu:dirty-bitmap:NAME, nbdkit-blocksize)");
      s.queries.push_back(*v);
    }
    if (!s.queries.empty() && !s.export_spec) fail("export", "queries need an export");
  }
  return s;
}

Scenario scenario_from_text(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // Turn the byte position into a line number for the message.
    std::size_t line = 1;
    for (std::size_t i = 0; i < e.byte && i < text.size(); ++i)
      if (text[i] == '\n') ++line;
    throw ScenarioError("line " + std::to_string(line) + ": invalid JSON (" + std::string(e.what()) + ")");
  }
  return scenario_from_json(j);
}

json to_json(const GraphSpec& g) {
  json j;
  if (g.image) {
    j["image"] = *g.image;
    for (const ProtocolFilter& f : g.file_filters) {
      json fj = {{"filter", to_string(f.kind)}};
      if (f.kind == NodeKind::Blkdebug) fj["align"] = f.align;
      j["file_filters"].push_back(fj);
    }
    if (g.backing == GraphSpec::Backing::Null) j["backing"] = nullptr;
    if (g.backing == GraphSpec::Backing::Explicit && g.child) j["backing"] = to_json(*g.child);
    return j;
  }
  j["filter"] = to_string(g.filter);
  if (g.filter == NodeKind::Blkdebug) j["align"] = g.align;
  if (g.filter == NodeKind::RawWindow) {
    j["offset"] = g.offset;
    if (g.size) j["size"] = *g.size;
  }
  if (g.child) j["child"] = to_json(*g.child);
  return j;
}

json to_json(const Scenario& s) {
  json j;
  j["name"] = s.name;
  if (s.seed) j["seed"] = s.seed;
  j["host"] = {{"granularity", s.host.granularity}, {"zeroing_makes_holes", s.host.zeroing_makes_holes}};
  json steps = json::array();
  for (const Step& st : s.steps) {
    if (auto* c = std::get_if<CreateStep>(&st)) {
      const CreateOptions& o = c->options;
      json cj = {{"name", o.name}, {"format", to_string(o.format)}};
      if (o.size) cj["size"] = *o.size;
      if (o.format == ImageFormat::Qcow2) {
        cj["cluster_size"] = u64{1} << o.cluster_bits;
        cj["extended_l2"] = o.extended_l2;
        cj["compat"] = o.v3 ? "1.1" : "0.10";
        cj["preallocation"] = to_string(o.preallocation);
      }
      if (o.backing_file) cj["backing"] = *o.backing_file;
      if (o.backing_format) cj["backing_format"] = to_string(*o.backing_format);
      steps.push_back({{"create", cj}});
    } else if (auto* t = std::get_if<TruncateStep>(&st)) {
      steps.push_back({{"truncate", {{"name", t->name}, {"size", t->size}}}});
    } else if (auto* cm = std::get_if<CommitStep>(&st)) {
      steps.push_back({{"commit", to_json(*cm)}});
    } else if (auto* rb = std::get_if<RebaseStep>(&st)) {
      steps.push_back({{"rebase", to_json(*rb)}});
    } else if (auto* cv = std::get_if<ConvertStep>(&st)) {
      steps.push_back({{"convert", to_json(*cv)}});
    } else if (auto* js = std::get_if<StreamStep>(&st)) {
      steps.push_back({{"stream", to_json(*js)}});
    } else if (auto* jc = std::get_if<BlockCommitStep>(&st)) {
      steps.push_back({{"block-commit", to_json(*jc)}});
    } else if (auto* rb = std::get_if<RuntimeBitmapStep>(&st)) {
      steps.push_back({{"qmp-bitmaps", to_json(*rb)}});
    } else if (auto* b = std::get_if<BitmapStep>(&st)) {
      const BitmapCommand& c = b->command;
      json acts = json::array();
      for (const BitmapAction& a : c.actions) {
        if (a.kind == BitmapAction::Kind::Merge) acts.push_back({{"merge", a.source}});
        else acts.push_back(to_string(a.kind));
      }
      json bj = {{"image", c.image}, {"name", c.bitmap}, {"actions", acts}};
      if (c.granularity) bj["granularity"] = *c.granularity;
      if (c.source_image) bj["source_image"] = *c.source_image;
      steps.push_back({{"bitmap", bj}});
    } else {
      const IoStep& io = std::get<IoStep>(st);
      json ij = {{"graph", to_json(io.graph)}, {"op", to_string(io.op.kind)},
                 {"offset", io.op.offset}, {"length", io.op.length}};
      if (io.op.kind == OpKind::Write || io.op.kind == OpKind::WriteCompressed) ij["pattern"] = io.op.pattern;
      if (io.op.kind == OpKind::WriteZeroes) ij["unmap"] = io.op.may_unmap;
      steps.push_back({{"io", ij}});
    }
  }
  j["steps"] = steps;
  if (s.export_spec)
    j["export"] = {{"graph", to_json(s.export_spec->graph)}, {"request_block_size", s.export_spec->request_block_size}};
  json q = json::array();
  for (Query x : s.queries) {
    if (x != Query::DirtyBitmaps) {
      q.push_back(to_string(x));
    } else if (s.export_spec) {
      for (const std::string& b : s.export_spec->bitmaps) q.push_back(dirty_bitmap_context(b));
    }
  }
  j["queries"] = q;
  return j;
}

}  // namespace chaincheck::model
