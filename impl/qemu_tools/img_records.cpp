#include "impl/qemu_tools/img_records.hpp"

#include <ostream>

#include <nlohmann/json.hpp>

#include "impl/process/process.hpp"

namespace chaincheck::impl {
namespace {

using nlohmann::json;

json parse_text(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw ToolError(what + ": output is not valid JSON (" + e.what() + ")");
  }
}

// Field access that says which field of which record is wrong.
class Fields {
 public:
  Fields(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {
    if (!obj_.is_object()) throw ToolError(where_ + ": expected a JSON object, got " + obj_.type_name());
  }

  const json* find(const char* name) const {
    auto it = obj_.find(name);
    return it == obj_.end() ? nullptr : &*it;
  }
  const json& need(const char* name) const {
    if (const json* v = find(name)) return *v;
    throw ToolError(where_ + ": missing field \"" + name + "\"");
  }
  [[noreturn]] void wrong(const char* name, const char* expected) const {
    throw ToolError(where_ + ": field \"" + name + "\" is not " + expected + " (got " +
                    need(name).dump() + ")");
  }

  std::uint64_t u64(const char* name) const {
    const json& v = need(name);
    if (!v.is_number_unsigned()) wrong(name, "an unsigned integer");
    return v.get<std::uint64_t>();
  }
  std::int64_t i64(const char* name) const {
    const json& v = need(name);
    if (!v.is_number_integer()) wrong(name, "an integer");
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX) wrong(name, "a 64-bit signed integer");
    return v.get<std::int64_t>();
  }
  bool boolean(const char* name) const {
    const json& v = need(name);
    if (!v.is_boolean()) wrong(name, "a boolean");
    return v.get<bool>();
  }
  std::string string(const char* name) const {
    const json& v = need(name);
    if (!v.is_string()) wrong(name, "a string");
    return v.get<std::string>();
  }
  std::optional<std::uint64_t> opt_u64(const char* name) const {
    return find(name) ? std::optional(u64(name)) : std::nullopt;
  }
  std::optional<bool> opt_bool(const char* name) const {
    return find(name) ? std::optional(boolean(name)) : std::nullopt;
  }
  std::optional<std::string> opt_string(const char* name) const {
    return find(name) ? std::optional(string(name)) : std::nullopt;
  }

 private:
  const json& obj_;
  std::string where_;
};

ImageInfo info_from(const json& obj, const std::string& where) {
  Fields f(obj, where);
  ImageInfo info;
  info.filename = f.string("filename");
  info.format = f.string("format");
  info.virtual_size = f.u64("virtual-size");
  info.actual_size = f.opt_u64("actual-size");
  info.cluster_size = f.opt_u64("cluster-size");
  info.backing_filename = f.opt_string("backing-filename");
  info.full_backing_filename = f.opt_string("full-backing-filename");
  info.backing_format = f.opt_string("backing-filename-format");
  info.dirty = f.opt_bool("dirty-flag").value_or(false);
  if (const json* spec = f.find("format-specific")) {
    Fields s(*spec, where + " format-specific");
    if (s.string("type") == "qcow2") {
      Fields d(s.need("data"), where + " format-specific data");
      info.compat = d.string("compat");
      info.extended_l2 = d.opt_bool("extended-l2");
    }
  }
  return info;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const MapEntry& e) {
  os << "{start " << e.start << ", length " << e.length << ", depth " << e.depth << ", present "
     << e.present << ", zero " << e.zero << ", data " << e.data;
  if (e.offset) os << ", offset " << *e.offset;
  return os << "}";
}

std::vector<MapEntry> parse_map_json(const std::string& text) {
  const json doc = parse_text(text, "qemu-img map");
  if (!doc.is_array()) throw ToolError(std::string("qemu-img map: expected a JSON array, got ") + doc.type_name());
  std::vector<MapEntry> entries;
  entries.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    Fields f(doc[i], "qemu-img map entry " + std::to_string(i));
    MapEntry e;
    e.start = f.u64("start");
    e.length = f.u64("length");
    e.depth = f.i64("depth");
    e.present = f.opt_bool("present").value_or(true);
    e.zero = f.boolean("zero");
    e.data = f.boolean("data");
    e.offset = f.opt_u64("offset");
    entries.push_back(e);
  }
  return entries;
}

ImageInfo parse_info_json(const std::string& text) {
  return info_from(parse_text(text, "qemu-img info"), "qemu-img info");
}

std::vector<ImageInfo> parse_info_chain_json(const std::string& text) {
  const json doc = parse_text(text, "qemu-img info --backing-chain");
  if (!doc.is_array())
    throw ToolError(std::string("qemu-img info --backing-chain: expected a JSON array, got ") + doc.type_name());
  std::vector<ImageInfo> chain;
  for (size_t i = 0; i < doc.size(); ++i)
    chain.push_back(info_from(doc[i], "qemu-img info image " + std::to_string(i)));
  return chain;
}

}  // namespace chaincheck::impl
