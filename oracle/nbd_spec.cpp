#include "oracle/nbd_spec.hpp"

#include <cstdio>

namespace chaincheck::oracle {

namespace {

Finding violation(const model::ContextReply& r, std::string rule, u64 off, u64 len, std::string summary) {
  Finding f;
  f.cls = FindingClass::NbdSpec;
  f.interfaces = {r.context};
  f.rule = std::move(rule);
  f.offset = off;
  f.length = len;
  f.summary = std::move(summary);
  return f;
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

}  // namespace

std::vector<Finding> check_block_status_reply(const model::ContextReply& r, const ReplyLimits& lim) {
  std::vector<Finding> out;
  if (r.extents.empty()) {
    out.push_back(violation(r, "empty-reply", r.offset, 0, "a block status reply must hold at least one extent"));
    return out;
  }
  u64 pos = r.offset;
  bool base = r.context == "base:allocation";
  bool depth = r.context == "qemu:allocation-depth";
  bool bitmap = r.context.rfind("qemu:dirty-bitmap:", 0) == 0;
  for (std::size_t i = 0; i < r.extents.size(); ++i) {
    const model::NbdExtent& e = r.extents[i];
    if (e.length == 0) {
      out.push_back(violation(r, "zero-length-extent", pos, 0, "extent " + std::to_string(i) + " has length 0"));
      continue;
    }
    // "MUST use descriptor lengths that are an integer multiple of any advertised minimum
    // block size"; the export's unaligned end is the only place a shorter one can end.
    bool ends_at_eof = pos + e.length == lim.export_size;
    if (lim.min_block > 1 && e.length % lim.min_block != 0 && !ends_at_eof) {
      out.push_back(violation(r, "extent-not-multiple-of-min-block", pos, e.length,
                              "extent of " + std::to_string(e.length) +
                                  " bytes is not a multiple of the advertised minimum block size " +
                                  std::to_string(lim.min_block)));
    }
    if (pos + e.length > lim.export_size) {
      out.push_back(violation(r, "extent-past-export-end", pos, e.length,
                              "extent ends at " + std::to_string(pos + e.length) + ", past the export size " +
                                  std::to_string(lim.export_size)));
    }
    std::uint32_t defined = base ? 0x3u : bitmap ? 0x1u : 0xffffffffu;
    if (e.value & ~defined) {
      out.push_back(violation(r, "undefined-flags", pos, e.length,
                              "flags " + hex(e.value) + " set bits the context does not define"));
    }
    if (depth && lim.max_depth && e.value > lim.max_depth) {
      out.push_back(violation(r, "depth-out-of-range", pos, e.length,
                              "allocation depth " + std::to_string(e.value) + " but the chain has " +
                                  std::to_string(lim.max_depth) + " layers"));
    }
    pos += e.length;
  }
  return out;
}

}  // namespace chaincheck::oracle
