#include "oracle/reproducer.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include "impl/scenario/qemu_graph.hpp"
#include "impl/scenario/qsd_graph.hpp"

namespace chaincheck::oracle {

using namespace chaincheck::model;

namespace {

std::string quote(const std::string& s) {
  if (s.find_first_of(" \"'\\$&|;<>(){}*?[]#~`") == std::string::npos && !s.empty()) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

using Formats = impl::ImageFormats;

// How a command names a graph: "-f FMT FILE" for a plain image, else a json: filename.
std::string image_words(const GraphSpec& g, const Formats& f) {
  std::string pre = impl::needs_throttle_group(g) ? "--object throttle-group,id=tg0 " : "";
  if (g.image && g.backing == GraphSpec::Backing::FromHeader) {
    auto it = f.find(*g.image);
    return pre + "-f " + std::string(it == f.end() ? "raw" : to_string(it->second)) + " " + quote(*g.image);
  }
  return pre + quote("json:" + impl::qemu_options(g, f).dump());
}

// A chain operation's qemu-img line (model/chain_steps.hpp); a convert target joins `f`.
std::string chain_step_line(const Step& st, Formats& f) {
  std::vector<std::string> words;
  if (auto* c = std::get_if<CommitStep>(&st)) words = command_words(*c);
  if (auto* r = std::get_if<RebaseStep>(&st)) words = command_words(*r);
  if (auto* v = std::get_if<ConvertStep>(&st)) {
    words = command_words(*v, [&](const std::string& name) {
      auto it = f.find(name);
      return it == f.end() ? ImageFormat::Raw : it->second;
    });
    f[v->options.target] = v->options.target_format;
  }
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + quote(w);
  return line;
}

std::string io_command(const GuestOp& op) {
  std::string off = std::to_string(op.offset), len = std::to_string(op.length);
  switch (op.kind) {
    case OpKind::Write: return "write -P " + std::to_string(op.pattern) + " " + off + " " + len;
    case OpKind::WriteZeroes: return std::string("write -z ") + (op.may_unmap ? "-u " : "") + off + " " + len;
    case OpKind::Discard: return "discard " + off + " " + len;
    case OpKind::WriteCompressed: return "write -c -P " + std::to_string(op.pattern) + " " + off + " " + len;
  }
  return "";
}

}  // namespace

std::string scenario_to_transcript(const Scenario& s) {
  Formats formats;
  std::string out;
  for (const Step& st : s.steps) {
    if (auto* c = std::get_if<CreateStep>(&st)) {
      const CreateOptions& o = c->options;
      formats[o.name] = o.format;
      std::string line = "qemu-img create -q -f " + std::string(to_string(o.format));
      if (o.format == ImageFormat::Qcow2) {
        line += " -o cluster_size=" + std::to_string(u64{1} << o.cluster_bits);
        if (o.extended_l2) line += ",extended_l2=on";
        if (!o.v3) line += ",compat=0.10";
        if (o.preallocation != Preallocation::Off) line += std::string(",preallocation=") + to_string(o.preallocation);
      }
      if (o.backing_file)
        line += " -b " + quote(*o.backing_file) + " -F " + to_string(o.backing_format.value_or(ImageFormat::Raw));
      line += " " + quote(o.name);
      if (o.size) line += " " + std::to_string(*o.size);
      out += line + "\n";
    } else if (auto* t = std::get_if<TruncateStep>(&st)) {
      formats.emplace(t->name, ImageFormat::Raw);
      out += "truncate -s " + std::to_string(t->size) + " " + quote(t->name) + "\n";
    } else if (auto* b = std::get_if<BitmapStep>(&st)) {
      const BitmapCommand& c = b->command;
      auto fmt = [&](const std::string& n) {
        auto it = formats.find(n);
        return std::string(it == formats.end() ? "qcow2" : to_string(it->second));
      };
      std::string line = "qemu-img bitmap";
      for (const BitmapAction& a : c.actions) {
        line += std::string(" --") + to_string(a.kind);
        if (a.kind == BitmapAction::Kind::Merge) line += " " + quote(a.source);
      }
      if (c.granularity) line += " -g " + std::to_string(*c.granularity);
      if (c.source_image) line += " -b " + quote(*c.source_image) + " -F " + fmt(*c.source_image);
      out += line + " -f " + fmt(c.image) + " " + quote(c.image) + " " + quote(c.bitmap) + "\n";
    } else if (std::holds_alternative<StreamStep>(st) || std::holds_alternative<BlockCommitStep>(st)) {
      // A QMP job on qemu-storage-daemon: the transcript grammar (impl/transcript) has no
      // QMP, so the line is a comment that says so; chaincheck repro does not replay it.
      nlohmann::json cmd = std::holds_alternative<StreamStep>(st) ? qmp_command(std::get<StreamStep>(st))
                                                                   : qmp_command(std::get<BlockCommitStep>(st));
      out += "# not replayable by chaincheck repro (a QMP job on qemu-storage-daemon, chain opened with "
             "blockdev-add, node-name = image name): " + cmd.dump() + "\n";
    } else if (!std::holds_alternative<IoStep>(st)) {
      out += chain_step_line(st, formats) + "\n";
    } else {
      const IoStep& io = std::get<IoStep>(st);
      out += "qemu-io " + image_words(io.graph, formats) + " -c " + quote(io_command(io.op)) + "\n";
    }
  }
  if (!s.export_spec) return out;
  const GraphSpec& g = s.export_spec->graph;
  bool img_map = false, io_map = false, base = false, depth = false;
  for (Query q : s.queries) {
    img_map |= q == Query::ImgMap;
    io_map |= q == Query::IoMap;
    base |= q == Query::BaseAllocation || q == Query::Content;
    depth |= q == Query::AllocationDepth;
  }
  std::vector<std::string> bitmaps;
  for (Query q : s.queries)
    if (q == Query::DirtyBitmaps) bitmaps = s.export_spec->bitmaps;
  if (img_map) out += "qemu-img map --output=json " + image_words(g, formats) + "\n";
  if (io_map) out += "qemu-io -r " + image_words(g, formats) + " -c map\n";
  if ((base || depth) && impl::needs_blockdev(g)) {
    // Node names (a filter between layers or over a file node, copy-on-read): the graph
    // on qemu-storage-daemon's command line, as QemuSystem builds it with blockdev-add.
    impl::BlockdevPlan plan = impl::blockdev_plan(g, formats);
    out += "qemu-storage-daemon";
    for (const auto& o : plan.objects) out += " --object " + o["qom-type"].get<std::string>() + ",id=" + o["id"].get<std::string>();
    for (const auto& b : impl::blockdev_arguments(plan)) out += " \\\n  --blockdev " + quote(b);
    out += " \\\n  --nbd-server addr.type=unix,addr.path=qsd.sock \\\n  --export type=nbd,id=export,node-name=" + plan.root +
           ",name=export,allocation-depth=on &\n";
    // Reading the export back through copy-on-read allocates: the depth map first.
    if (depth) out += "nbdinfo --map=qemu:allocation-depth 'nbd+unix:///export?socket=qsd.sock'\n";
    if (base) out += "nbdinfo --map 'nbd+unix:///export?socket=qsd.sock'\n";
  } else if (base || depth || !bitmaps.empty()) {
    std::string b_opts;
    for (const auto& b : bitmaps) b_opts += " -B " + quote(b);
    out += "qemu-nbd -r -t" + std::string(depth ? " -A" : "") + b_opts + " " + image_words(g, formats) + " &\n";
    if (base) out += "nbdinfo --map nbd://localhost\n";
    if (depth) out += "nbdinfo --map=qemu:allocation-depth nbd://localhost\n";
    for (const auto& b : bitmaps) out += "nbdinfo --map=" + quote("qemu:dirty-bitmap:" + b) + " nbd://localhost\n";
  }
  return out;
}

std::string reproducer_script(const Scenario& s, const Finding& f) {
  std::string out = "#!/bin/sh\n";
  out += "# chaincheck finding: " + describe(f) + "\n";
  out += "# class " + std::string(to_string(f.cls)) + "; rule " + f.rule + "; where " + f.where + "\n";
  if (!f.expected.empty()) out += "# expected (model): " + f.expected + "\n";
  if (!f.observed.empty()) out += "# observed: " + f.observed + "\n";
  if (s.seed) out += "# campaign seed " + std::to_string(s.seed) + "\n";
  for (const auto& [k, v] : f.versions) out += "# " + k + " " + v + "\n";
  out += "# replay: chaincheck repro THIS_FILE\n";
  for (const Step& st : s.steps)
    if (std::holds_alternative<StreamStep>(st) || std::holds_alternative<BlockCommitStep>(st)) {
      out += "# NOTE: block-job steps (QMP on qemu-storage-daemon) are comment lines below: the replay skips them\n";
      break;
    }
  return out + scenario_to_transcript(s);
}

}  // namespace chaincheck::oracle
