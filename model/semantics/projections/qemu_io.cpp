#include "model/semantics/projections/qemu_io.hpp"

#include <charconv>

namespace chaincheck::model {

std::vector<IoMapLine> qemu_io_map(const ModelState& s, const Graph& g) {
  std::vector<IoMapLine> out;
  u64 len = node_length(s, g, g.root);
  for (u64 pos = 0; pos < len;) {
    u64 pnum = 0;
    bool a = top_allocated(s, g, g.root, pos, len - pos, &pnum);
    if (pnum == 0) break;
    // map_is_allocated extends while the same answer repeats.
    if (!out.empty() && out.back().allocated == a) {
      out.back().length += pnum;
    } else {
      out.push_back({pos, pnum, a});
    }
    pos += pnum;
  }
  return out;
}

IoAlloc qemu_io_alloc(const ModelState& s, const Graph& g, u64 offset, u64 count) {
  IoAlloc r;
  r.offset = offset;
  u64 len = node_length(s, g, g.root);
  u64 end = offset >= len ? offset : offset + std::min(count, len - offset);
  for (u64 pos = offset; pos < end;) {
    u64 pnum = 0;
    bool a = top_allocated(s, g, g.root, pos, end - pos, &pnum);
    if (pnum == 0) break;
    if (a) r.allocated += pnum;
    pos += pnum;
  }
  // At EOF the count shrinks to what was covered (qemu-io-cmds.c alloc_f).
  r.count = end - offset;
  return r;
}

std::string qemu_io_size(u64 bytes) {
  static const char* units[] = {" EiB", " PiB", " TiB", " GiB", " MiB", " KiB"};
  double v = static_cast<double>(bytes);
  const char* suffix = " bytes";
  for (int i = 0; i < 6; ++i) {
    double unit = static_cast<double>(u64{1} << (10 * (6 - i)));
    if (v >= unit) {
      v /= unit;
      suffix = units[i];
      break;
    }
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3);
  std::string str(buf, res.ptr);
  auto trim = str.find(".000");
  if (trim != std::string::npos) str.erase(trim);
  return str + suffix;
}

namespace {

std::string hex(u64 v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v, 16);
  return "0x" + std::string(buf, res.ptr);
}

}  // namespace

std::string qemu_io_map_text(const std::vector<IoMapLine>& lines) {
  // "%s (0x%x) bytes %s allocated at offset %s (0x%x)" (qemu-io-cmds.c map_f)
  std::string out;
  for (const IoMapLine& l : lines) {
    out += qemu_io_size(l.length) + " (" + hex(l.length) + ") bytes " + (l.allocated ? "   " : "not") +
           " allocated at offset " + qemu_io_size(l.start) + " (" + hex(l.start) + ")\n";
  }
  return out;
}

std::string qemu_io_alloc_text(const IoAlloc& a) {
  return std::to_string(a.allocated) + "/" + std::to_string(a.count) +
         " bytes allocated at offset " + qemu_io_size(a.offset) + "\n";
}

}  // namespace chaincheck::model
