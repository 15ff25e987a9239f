#include "model/scenario/runtime_bitmap_steps.hpp"

#include "model/scenario/json_fields.hpp"

namespace chaincheck::model {

using nlohmann::json;
using K = BitmapAction::Kind;

namespace {

using json_fields::bool_or;
using json_fields::fail;
using json_fields::image_name_field;
using json_fields::only_keys;

std::string name_field(const json& j, const std::string& path, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) fail(path + "." + key, "missing");
  if (!it->is_string()) fail(path + "." + key, "expected a bitmap name");
  return it->get<std::string>();
}

RuntimeBitmapOp op_from_json(const json& c, const std::string& path, const std::string& image) {
  if (!c.is_object() || c.empty()) fail(path, "expected {\"add\"|\"remove\"|\"clear\"|\"enable\"|\"disable\"|\"merge\": NAME, ...}");
  RuntimeBitmapOp op;
  op.image = image;
  std::optional<K> kind;
  for (K k : {K::Add, K::Remove, K::Clear, K::Enable, K::Disable, K::Merge})
    if (c.contains(to_string(k))) {
      if (kind) fail(path, "one command per entry");
      kind = k;
    }
  if (!kind) fail(path, "expected one of add, remove, clear, enable, disable, merge");
  op.kind = *kind;
  op.name = name_field(c, path, to_string(*kind));
  if (op.kind == K::Add) {
    only_keys(c, path, {"add", "granularity", "persistent", "disabled"});
    if (c.contains("granularity")) {
      const json& g = c["granularity"];
      // QMP's granularity is a uint32 (qapi/block-core.json BlockDirtyBitmapAdd).
      if (!g.is_number_unsigned() || g.get<u64>() > 0xffffffffu) fail(path + ".granularity", "expected a 32-bit unsigned integer");
      op.granularity = g.get<u64>();
    }
    op.persistent = bool_or(c, path, "persistent", false);
    op.disabled = bool_or(c, path, "disabled", false);
  } else if (op.kind == K::Merge) {
    only_keys(c, path, {"merge", "bitmaps"});
    auto it = c.find("bitmaps");
    if (it == c.end()) fail(path + ".bitmaps", "missing");
    if (!it->is_array()) fail(path + ".bitmaps", "expected an array of bitmap names");
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) fail(path + ".bitmaps[" + std::to_string(i) + "]", "expected a bitmap name");
      op.sources.emplace_back(image, (*it)[i].get<std::string>());
    }
  } else {
    only_keys(c, path, {to_string(op.kind)});
  }
  return op;
}

}  // namespace

std::string describe(const RuntimeBitmapStep& s) {
  std::string out = "qsd " + s.image + ":";
  for (const RuntimeBitmapOp& op : s.ops) {
    out += std::string(" ") + to_string(op.kind) + " " + op.name;
    if (op.kind == K::Add) {
      if (op.persistent) out += " persistent";
      if (op.disabled) out += " disabled";
      if (op.granularity) out += " g=" + std::to_string(*op.granularity);
    }
    if (op.kind == K::Merge) {
      out += " <-";
      for (const auto& src : op.sources) out += " " + src.second;
    }
    out += ";";
  }
  return out + " quit";
}

json qmp_command(const RuntimeBitmapOp& op, const std::string& node) {
  json a = {{"node", node}};
  if (op.kind == K::Merge) {
    a["target"] = op.name;
    json names = json::array();
    for (const auto& src : op.sources) names.push_back(src.second);
    a["bitmaps"] = names;
  } else {
    a["name"] = op.name;
  }
  if (op.kind == K::Add) {
    if (op.granularity) a["granularity"] = *op.granularity;
    if (op.persistent) a["persistent"] = true;
    if (op.disabled) a["disabled"] = true;
  }
  return {{"execute", std::string("block-dirty-bitmap-") + to_string(op.kind)}, {"arguments", a}};
}

std::string command_error(const RuntimeBitmapOp& op, const std::string& why) {
  return std::string("block-dirty-bitmap-") + to_string(op.kind) + " " + op.name + ": " + why;
}

std::optional<OpError> apply_runtime_bitmap_step(ModelState& s, const RuntimeBitmapStep& step) {
  // blockdev-add with driver qcow2: a missing file or another format does not open
  // (qcow2_do_open: "Image is not in qcow2 format").
  int i = s.find(step.image);
  if (i < 0) return OpError{"blockdev-add: Could not open '" + step.image + "': No such file or directory"};
  if (s.image(i).format() != ImageFormat::Qcow2) return OpError{"blockdev-add: Image is not in qcow2 format"};
  std::string errors;
  for (RuntimeBitmapOp op : step.ops) {
    op.image = step.image;
    for (auto& src : op.sources) src.first = step.image;
    if (auto err = apply_runtime_bitmap_op(s, op)) errors += (errors.empty() ? "" : "; ") + command_error(op, err->message);
  }
  // quit: bdrv_close stores the persistent bitmaps and releases the others.
  close_runtime_bitmaps(s, step.image);
  if (errors.empty()) return std::nullopt;
  return OpError{errors};
}

json to_json(const RuntimeBitmapStep& s) {
  json cmds = json::array();
  for (const RuntimeBitmapOp& op : s.ops) {
    json c = {{to_string(op.kind), op.name}};
    if (op.kind == K::Add) {
      if (op.granularity) c["granularity"] = *op.granularity;
      if (op.persistent) c["persistent"] = true;
      if (op.disabled) c["disabled"] = true;
    }
    if (op.kind == K::Merge) {
      json names = json::array();
      for (const auto& src : op.sources) names.push_back(src.second);
      c["bitmaps"] = names;
    }
    cmds.push_back(c);
  }
  return {{"image", s.image}, {"commands", cmds}};
}

RuntimeBitmapStep runtime_bitmap_step_from_json(const json& body, const std::string& path) {
  only_keys(body, path, {"image", "commands"});
  RuntimeBitmapStep s;
  s.image = image_name_field(body, path, "image");
  auto cmds = body.find("commands");
  if (cmds == body.end()) fail(path + ".commands", "missing");
  if (!cmds->is_array()) fail(path + ".commands", "expected an array");
  for (std::size_t i = 0; i < cmds->size(); ++i)
    s.ops.push_back(op_from_json((*cmds)[i], path + ".commands[" + std::to_string(i) + "]", s.image));
  return s;
}

std::vector<std::string> images_named(const RuntimeBitmapStep& s) { return {s.image}; }

}  // namespace chaincheck::model
