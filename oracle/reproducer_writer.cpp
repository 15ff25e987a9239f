#include "oracle/reproducer_writer.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <nlohmann/json.hpp>

#include "impl/scenario/qemu_graph.hpp"
#include "impl/scenario/qsd_graph.hpp"
#include "model/scenario/model_system.hpp"
#include "model/scenario/nbdkit_stack.hpp"

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

// A chain operation's qemu-img line (model/scenario/chain_steps.hpp); a convert target joins `f`.
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

// The NbdkitBlocksize query's nbdkit line: minblock as the campaign chose it.
std::string nbdkit_lines(const Scenario& s, const std::string& socket, const std::string& export_name) {
  u64 minblock = 4096;
  try {
    ModelSystem m;
    m.run(s);
    Graph g = build_graph(m.state(), s.export_spec->graph);
    minblock = campaign_minblock(m.state(), g);
  } catch (const std::exception&) {
  }
  return "nbdkit -U nbdkit.sock -r --filter=blocksize nbd socket=" + socket +
         (export_name.empty() ? "" : " export=" + quote(export_name)) + " minblock=" + std::to_string(minblock) +
         " &\nnbdinfo --map 'nbd+unix:///?socket=nbdkit.sock'\n";
}

// A block job as a bug report shows it: qemu-storage-daemon with the job's image as node
// "top" (its chain opened from the headers, as the campaign's blockdev-add chain names it),
// a QMP monitor, the job in qmp-shell form (other images named by filename: QEMU finds
// them in the chain, bdrv_find_backing_image), and quit so that every header is written
// before the next line. chaincheck repro replays it (impl/transcript/qmp_commands.hpp).
std::string job_lines(const Step& st, const Formats& f, int n) {
  const std::string& image =
      std::holds_alternative<StreamStep>(st) ? std::get<StreamStep>(st).options.image : std::get<BlockCommitStep>(st).options.overlay;
  auto it = f.find(image);
  std::string format = it == f.end() ? "qcow2" : to_string(it->second);
  std::string tag = "job" + std::to_string(n);
  std::string out = "qemu-storage-daemon --blockdev " +
                    quote("driver=" + format + ",node-name=top,file.driver=file,file.filename=" + image) +
                    " \\\n  --chardev socket,id=qmp0,path=" + tag + "-qmp.sock,server=on,wait=off --monitor chardev=qmp0" +
                    " \\\n  --nbd-server addr.type=unix,addr.path=" + tag + "-nbd.sock &\n";
  if (auto* sj = std::get_if<StreamStep>(&st)) {
    out += "(QEMU) block-stream job-id=job0 device=top";
    if (sj->options.base) out += " base=" + *sj->options.base;
  } else {
    const auto& bc = std::get<BlockCommitStep>(st);
    // No top: the active layer (an active commit, completed by repro when READY).
    out += "(QEMU) block-commit job-id=job0 device=top";
    if (bc.options.top != bc.options.overlay) out += " top=" + bc.options.top;
    if (bc.options.base) out += " base=" + *bc.options.base;
  }
  return out + "\n(QEMU) quit\n";
}

// One QMP command as a bug report writes it: a qmp-shell "(QEMU) CMD key=value..." line,
// or the raw JSON line when a value would not read back as written (qmp-shell types 12 and
// true as a number and a boolean, and splits at blanks and quotes).
std::string qmp_line(const nlohmann::json& cmd) {
  auto plain = [](const std::string& text) {
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return !text.empty() && text.find_first_of(" \t\"'{[\\") == std::string::npos &&
           text.find_first_not_of("+-0123456789") != std::string::npos && lower != "true" && lower != "false";
  };
  std::string out = "(QEMU) " + cmd["execute"].get<std::string>();
  for (const auto& [key, value] : cmd["arguments"].items()) {
    if (value.is_string() && !plain(value.get<std::string>())) return cmd.dump();
    if (value.is_array())
      for (const auto& v : value)
        if (!v.is_string() || v.get<std::string>().find_first_of(" \t\"'\\") != std::string::npos) return cmd.dump();
    out += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

// A qmp-bitmaps session (model/scenario/runtime_bitmap_steps.hpp): qemu-storage-daemon with the
// image as node "top" (backing: null, as the campaign opens it) and a QMP monitor, each
// command as it was sent, and quit so the persistent bitmaps are stored before the next line.
std::string runtime_bitmap_lines(const RuntimeBitmapStep& st, int n) {
  nlohmann::json node = {{"driver", "qcow2"},
                         {"node-name", "top"},
                         {"file", {{"driver", "file"}, {"filename", st.image}}},
                         {"backing", nullptr}};
  std::string tag = "bitmaps" + std::to_string(n);
  std::string out = "qemu-storage-daemon --blockdev " + quote(node.dump()) +
                    " \\\n  --chardev socket,id=qmp0,path=" + tag + "-qmp.sock,server=on,wait=off --monitor chardev=qmp0" +
                    " \\\n  --nbd-server addr.type=unix,addr.path=" + tag + "-nbd.sock &\n";
  for (const RuntimeBitmapOp& op : st.ops) out += qmp_line(qmp_command(op, "top")) + "\n";
  return out + "(QEMU) quit\n";
}

}  // namespace

std::string scenario_to_transcript(const Scenario& s) {
  Formats formats;
  int jobs = 0, sessions = 0;
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
      out += job_lines(st, formats, ++jobs);
    } else if (auto* rb = std::get_if<RuntimeBitmapStep>(&st)) {
      out += runtime_bitmap_lines(*rb, ++sessions);
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
  bool nbdkit = std::find(s.queries.begin(), s.queries.end(), Query::NbdkitBlocksize) != s.queries.end();
  std::vector<std::string> bitmaps;
  for (Query q : s.queries)
    if (q == Query::DirtyBitmaps) bitmaps = s.export_spec->bitmaps;
  if (img_map) out += "qemu-img map --output=json " + image_words(g, formats) + "\n";
  if (io_map) out += "qemu-io -r " + image_words(g, formats) + " -c map\n";
  if ((base || depth || !bitmaps.empty() || nbdkit) && impl::needs_blockdev(g)) {
    // Node names (a filter between layers or over a file node, copy-on-read): the graph
    // on qemu-storage-daemon's command line, as QemuSystem builds it with blockdev-add.
    impl::BlockdevPlan plan = impl::blockdev_plan(g, formats);
    out += "qemu-storage-daemon";
    for (const auto& o : plan.objects) out += " --object " + o["qom-type"].get<std::string>() + ",id=" + o["id"].get<std::string>();
    for (const auto& b : impl::blockdev_arguments(plan)) out += " \\\n  --blockdev " + quote(b);
    std::string export_bitmaps;
    for (std::size_t i = 0; i < bitmaps.size(); ++i)
      export_bitmaps += ",bitmaps." + std::to_string(i) + "=" + bitmaps[i];
    // An enabled bitmap on a read-write node needs a writable export (nbd_export_create).
    if (!bitmaps.empty() && plan.writable) export_bitmaps += ",writable=on";
    out += " \\\n  --nbd-server addr.type=unix,addr.path=qsd.sock \\\n  --export type=nbd,id=export,node-name=" + plan.root +
           ",name=export,allocation-depth=on" + export_bitmaps + " &\n";
    for (const auto& b : bitmaps)
      out += "nbdinfo --map=" + quote("qemu:dirty-bitmap:" + b) + " 'nbd+unix:///export?socket=qsd.sock'\n";
    // Reading the export back through copy-on-read allocates: the depth map first.
    if (depth) out += "nbdinfo --map=qemu:allocation-depth 'nbd+unix:///export?socket=qsd.sock'\n";
    if (base) out += "nbdinfo --map 'nbd+unix:///export?socket=qsd.sock'\n";
    if (nbdkit) out += nbdkit_lines(s, "qsd.sock", "export");
  } else if (base || depth || !bitmaps.empty() || nbdkit) {
    std::string b_opts;
    for (const auto& b : bitmaps) b_opts += " -B " + quote(b);
    out += "qemu-nbd -r -t" + std::string(depth ? " -A" : "") + b_opts + (nbdkit ? " -k nbd.sock" : "") + " " +
           image_words(g, formats) + " &\n";
    if (base) out += "nbdinfo --map nbd://localhost\n";
    if (depth) out += "nbdinfo --map=qemu:allocation-depth nbd://localhost\n";
    for (const auto& b : bitmaps) out += "nbdinfo --map=" + quote("qemu:dirty-bitmap:" + b) + " nbd://localhost\n";
    if (nbdkit) out += nbdkit_lines(s, "nbd.sock", "");
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
  return out + scenario_to_transcript(s);
}

}  // namespace chaincheck::oracle
