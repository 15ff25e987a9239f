#include "oracle/conformance/conformance.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <sstream>

#include "oracle/conformance/extent_compare.hpp"
#include "oracle/nbd_spec.hpp"

namespace chaincheck::oracle::conformance {

const char* to_string(Level l) { return l == Level::Must ? "MUST" : "SHOULD"; }
const char* to_string(Status s) { return s == Status::Pass ? "pass" : s == Status::Fail ? "FAIL" : "skip"; }

namespace {

constexpr const char* kExport = "export";
constexpr const char* kBase = "base:allocation";

struct CheckInfo {
  const char* id;
  Level level;
  bool per_context;
};

// Table order. Sources: NBD proto.md (NetworkBlockDevice/nbd doc/proto.md, 2026 master):
// "Metadata querying", NBD_OPT_LIST_META_CONTEXT, NBD_REPLY_TYPE_BLOCK_STATUS,
// NBD_CMD_BLOCK_STATUS, "base:allocation".
const std::vector<CheckInfo>& checks() {
  static const std::vector<CheckInfo> v = {
      {"list-meta-context", Level::Should, false},     // LIST is optional (NBD_REP_ERR_UNSUP)
      {"negotiated", Level::Must, true},               // LIST: "MUST return ... available to select"
      {"reply-per-context", Level::Must, true},        // "exactly one status chunk per negotiated context"
      {"non-empty", Level::Must, true},                // "MUST return at least one status descriptor"
      {"nonzero-length", Level::Must, true},           // "length ... MUST be nonzero"
      {"within-export", Level::Must, true},            // descriptors are "portions of the export"
      {"extents-within-request", Level::Must, true},   // "first N-1 extents ... MUST be less than the requested length"
      {"req-one", Level::Must, true},                  // "exactly one descriptor ... MUST NOT exceed the length"
      {"min-block-multiple", Level::Should, true},     // MUST until proto.md 6725f91 (2025), now SHOULD
      {"defined-flags", Level::Should, true},          // base:allocation: reserved bits "SHOULD set to all-zero"
      {"zero-reads-zero", Level::Must, true},          // NBD_STATE_ZERO: "the block contents read as all zeroes"
      {"unaligned-tail", Level::Must, true},           // the rules above, at and across the last partial block
      {"repeatable", Level::Should, true},             // a quiescent export answers the same twice
      {"interleaved", Level::Should, true},            // a context alone answers as it does beside others
      {"tiling", Level::Should, true},                 // random sub-queries agree with the whole-export walk
  };
  return v;
}

Level level_of(const std::string& id) {
  for (const auto& c : checks())
    if (id == c.id) return c.level;
  return Level::Must;
}

struct Cell {
  bool ran = false;
  std::string skip;
  unsigned violations = 0;
  std::string why;
  unsigned queries = 0;
};

std::string range_text(u64 off, u64 len) { return std::to_string(off) + "+" + std::to_string(len); }

// Where a rule id of oracle/nbd_spec lands in the table.
std::string row_of_rule(const std::string& rule) {
  if (rule == "empty-reply") return "non-empty";
  if (rule == "zero-length-extent") return "nonzero-length";
  if (rule == "extent-not-multiple-of-min-block") return "min-block-multiple";
  if (rule == "extent-past-export-end") return "within-export";
  if (rule == "undefined-flags") return "defined-flags";
  return rule;
}

struct Range {
  u64 offset;
  u64 length;
};

class Runner {
 public:
  Runner(ExportTarget& target, const ConformanceOptions& options) : target_(target), opt_(options), rng_(options.seed) {}

  ConformanceReport run(const std::string& description) {
    rep_.target = description;
    open_main();
    if (ctxs_.empty()) {
      finish_without_contexts();
      return std::move(rep_);
    }
    walk();
    check_zero_reads();
    check_tail();
    if (!main_) {
      for (const char* id : {"repeatable", "interleaved", "tiling"}) skip_all_contexts(id, "the main session was lost (see notes)");
      finish();
      return std::move(rep_);
    }
    auto ranges = random_ranges(8);
    check_repeatable(ranges);
    check_interleaved(ranges);
    check_tiling(ranges);
    finish();
    return std::move(rep_);
  }

 private:
  // --- bookkeeping ---------------------------------------------------------------------
  Cell& cell(const std::string& check, const std::string& ctx) {
    Cell& c = cells_[{check, ctx}];
    return c;
  }
  void ran(const std::string& check, const std::string& ctx) {
    Cell& c = cell(check, ctx);
    c.ran = true;
    c.queries++;
  }
  void violate(const std::string& check, const std::string& ctx, const std::string& why) {
    Cell& c = cell(check, ctx);
    c.ran = true;
    if (c.violations++ == 0) c.why = why;
  }
  void skip(const std::string& check, const std::string& ctx, const std::string& why) {
    Cell& c = cell(check, ctx);
    if (c.skip.empty()) c.skip = why;
  }
  void skip_all_contexts(const std::string& check, const std::string& why) {
    for (const auto& c : ctxs_) skip(check, c, why);
  }
  bool budget() const { return rep_.queries < opt_.max_queries; }
  std::string budget_text() const { return "query budget spent (--max-queries " + std::to_string(opt_.max_queries) + ")"; }

  // --- one judged query ------------------------------------------------------------------
  // Runs one command and judges every chunk; violations go to their own rows, or all to
  // `row` when given (the unaligned-tail queries).
  StatusReply query(ExportSession& s, const std::vector<std::string>& expected, u64 off, u64 len, bool req_one,
                    const std::string& row = "") {
    rep_.queries++;
    StatusReply r = s.block_status(off, len, req_one);
    auto put = [&](const std::string& own, const std::string& ctx, const std::string& why) {
      std::string where = "query " + range_text(off, len) + (req_one ? " REQ_ONE" : "") + ": ";
      // A SHOULD broken at the tail stays a SHOULD: only MUSTs are gathered under `row`.
      if (row.empty() || level_of(own) == Level::Should) violate(own, ctx, where + why);
      else violate(row, ctx, where + own + ": " + why);
    };
    auto mark = [&](const std::string& own, const std::string& ctx) { row.empty() ? ran(own, ctx) : ran(row, ctx); };
    if (!r.ok()) return r;
    std::map<std::string, unsigned> per_ctx;
    for (const auto& ch : r.chunks) per_ctx[ch.context]++;
    for (const auto& ctx : expected) {
      mark("reply-per-context", ctx);
      if (per_ctx[ctx] != 1)
        put("reply-per-context", ctx, std::to_string(per_ctx[ctx]) + " chunks for this context in one reply");
    }
    for (const auto& [ctx, n] : per_ctx)
      if (std::find(expected.begin(), expected.end(), ctx) == expected.end())
        put("reply-per-context", expected.empty() ? ctx : expected.front(),
            "a chunk for context '" + ctx + "', which was not negotiated on this connection");
    ReplyLimits lim{.export_size = s.size(), .min_block = s.min_block()};
    for (const auto& ch : r.chunks) {
      for (const char* row_id : {"non-empty", "nonzero-length", "within-export", "min-block-multiple", "defined-flags",
                                 "extents-within-request", "req-one"})
        mark(row_id, ch.context);
      for (const auto& f : check_block_status_reply(ch, lim)) put(row_of_rule(f.rule), ch.context, f.summary);
      if (req_one) {
        if (ch.extents.size() != 1)
          put("req-one", ch.context, std::to_string(ch.extents.size()) + " descriptors (REQ_ONE asks for exactly one)");
        else if (ch.extents[0].length > len)
          put("req-one", ch.context,
              "descriptor of " + std::to_string(ch.extents[0].length) + " bytes exceeds the request's " + std::to_string(len));
      } else if (ch.extents.size() > 1) {
        u64 head = 0;
        for (std::size_t i = 0; i + 1 < ch.extents.size(); ++i) head += ch.extents[i].length;
        if (head >= len)
          put("extents-within-request", ch.context,
              "the first " + std::to_string(ch.extents.size() - 1) + " extents cover " + std::to_string(head) +
                  " bytes, not less than the request's " + std::to_string(len));
      }
    }
    return r;
  }

  // --- steps -------------------------------------------------------------------------------
  void open_main() {
    SessionRequest req;
    req.list_contexts = true;
    req.contexts.push_back(kBase);
    for (const auto& c : opt_.extra_contexts)
      if (std::find(req.contexts.begin(), req.contexts.end(), c) == req.contexts.end()) req.contexts.push_back(c);
    OpenedSession o = target_.open(req);  // throws: bad input
    main_ = std::move(o.session);
    rep_.offered = o.offered;
    rep_.list_error = o.list_error;
    rep_.size = main_->size();
    rep_.min_block = std::max<u64>(1, main_->min_block());
    rep_.preferred_block = main_->preferred_block();
    rep_.structured_replies = main_->structured_replies();
    ctxs_ = main_->contexts();
    rep_.negotiated = ctxs_;

    if (o.offered) {
      ran("list-meta-context", kExport);
    } else {
      skip("list-meta-context", kExport,
           "server refused NBD_OPT_LIST_META_CONTEXT" + (o.list_error.empty() ? "" : ": " + o.list_error));
    }
    // negotiated: every listed context (wildcards aside) is selected by SET.
    std::set<std::string> asked(req.contexts.begin(), req.contexts.end());
    if (o.offered)
      for (const auto& c : *o.offered) asked.insert(c);
    for (const auto& c : asked) {
      if (!c.empty() && c.back() == ':') continue;  // a wildcard, not a context
      bool listed = o.offered && std::count(o.offered->begin(), o.offered->end(), c);
      bool selected = std::count(ctxs_.begin(), ctxs_.end(), c);
      if (listed && !selected) violate("negotiated", c, "listed by NBD_OPT_LIST_META_CONTEXT but not selected by SET");
      else if (selected) ran("negotiated", c);
      else skip("negotiated", c, "not offered by the server");
    }
  }

  void finish_without_contexts() {
    std::string why = rep_.structured_replies ? "the server selected no metadata context"
                                              : "no structured replies negotiated: the server has no block status";
    for (const auto& c : checks())
      if (c.per_context) skip(c.id, kBase, why);
    finish();
  }

  // The whole export (or --max-walk-bytes of it), every context, judged reply by reply.
  void walk() {
    u64 end = rep_.size;
    if (opt_.max_walk_bytes && opt_.max_walk_bytes < end) end = std::max(rep_.min_block, opt_.max_walk_bytes / rep_.min_block * rep_.min_block);
    u64 pos = 0;
    unsigned walk_budget = std::max(1u, opt_.max_queries / 2);
    unsigned used = 0;
    while (pos < end) {
      if (used++ >= walk_budget) {
        rep_.notes.push_back("whole-export walk stopped at " + std::to_string(pos) + " of " +
                             std::to_string(rep_.size) + " bytes (query budget)");
        break;
      }
      u64 len = std::min<u64>(end - pos, 0x80000000ull - rep_.min_block);  // NBD counts are 32-bit
      // Requests stay multiples of the minimum block size (NBD: the client MUST); an
      // unaligned end is left to the unaligned-tail check.
      if (rep_.min_block > 1) len = len / rep_.min_block * rep_.min_block;
      if (len == 0) {
        rep_.notes.push_back("whole-export walk stopped at " + std::to_string(pos) + ": the last " +
                             std::to_string(end - pos) + " bytes are not a whole minimum block (see unaligned-tail)");
        break;
      }
      StatusReply r = query(*main_, ctxs_, pos, len, false);
      if (!r.ok()) {
        rep_.notes.push_back("whole-export walk: query " + range_text(pos, len) + " failed: " + r.error);
        break;
      }
      u64 next = rep_.size;
      for (const auto& ctx : ctxs_) {
        u64 reached = pos;
        for (const auto& ch : r.chunks)
          if (ch.context == ctx)
            for (const auto& e : ch.extents) {
              if (e.length == 0) continue;
              whole_[ctx].push_back({reached, e.length, e.value});
              reached += e.length;
            }
        next = std::min(next, reached);
      }
      if (next <= pos) {
        rep_.notes.push_back("whole-export walk: no progress at " + std::to_string(pos));
        break;
      }
      pos = next;
    }
    walked_ = std::min(pos, rep_.size);
    for (auto& [ctx, ext] : whole_) ext = clip(ext, 0, walked_);
  }

  void check_zero_reads() {
    for (const auto& ctx : ctxs_)
      if (ctx != kBase) skip("zero-reads-zero", ctx, "only base:allocation defines NBD_STATE_ZERO");
    if (!std::count(ctxs_.begin(), ctxs_.end(), std::string(kBase))) return;
    const u64 window = 64 * 1024;
    const u64 mb = rep_.min_block;
    bool any = false;
    for (const auto& e : whole_[kBase]) {
      if (!(e.value & 2)) continue;
      any = true;
      // Up to 16 windows spread evenly over each ZERO extent, aligned inward.
      u64 lo = (e.start + mb - 1) / mb * mb;
      u64 hi = e.end() == rep_.size ? e.end() : e.end() / mb * mb;
      if (hi <= lo) continue;
      u64 n = std::min<u64>(16, (hi - lo + window - 1) / window);
      std::vector<Range> picks;
      for (u64 i = 0; i < n; ++i) {
        u64 at = n == 1 ? lo : (lo + (hi - lo - std::min(window, hi - lo)) * i / (n - 1)) / mb * mb;
        at = std::max(at, lo);
        picks.push_back({at, std::min(window, hi - at)});
      }
      for (const auto& p : picks) {
        if (rep_.bytes_read + p.length > opt_.max_read_bytes) {
          rep_.notes.push_back("ZERO read-back stopped at the byte budget (--max-read-bytes)");
          goto done;
        }
        std::vector<std::uint8_t> data;
        try {
          data = main_->read(p.offset, p.length);
        } catch (const std::exception& ex) {
          rep_.notes.push_back("read " + range_text(p.offset, p.length) + " failed: " + ex.what());
          continue;
        }
        rep_.bytes_read += p.length;
        ran("zero-reads-zero", kBase);
        auto nz = std::find_if(data.begin(), data.end(), [](std::uint8_t b) { return b != 0; });
        if (nz != data.end())
          violate("zero-reads-zero", kBase,
                  "extent " + range_text(e.start, e.length) + " is ZERO but byte " +
                      std::to_string(p.offset + (nz - data.begin())) + " reads non-zero");
      }
    }
  done:
    if (!any) skip("zero-reads-zero", kBase, "no ZERO extent in the walked range");
  }

  // Queries at and across the last (partial) block, with and without asking the server
  // for its block size constraints.
  // Another session beside the main one; null (and the reason kept) when it cannot be
  // opened. After one failure no more are tried: a server that serves one client at a time
  // would make each attempt wait for the connect timeout.
  std::unique_ptr<ExportSession> open_extra(const SessionRequest& req, const std::string& label) {
    if (!extra_failed_.empty()) return nullptr;
    try {
      return target_.open(req).session;
    } catch (const std::exception& e) {
      extra_failed_ = e.what();
      rep_.notes.push_back("could not open a second session (" + label + "): " + extra_failed_);
      return nullptr;
    }
  }

  void check_tail() {
    if (rep_.size == 0) {
      skip_all_contexts("unaligned-tail", "the export is empty");
      return;
    }
    auto run_on = [&](ExportSession& s, const std::string& label) {
      u64 mb = std::max<u64>(1, s.min_block());
      u64 a = std::max<u64>(mb, 512);
      u64 size = s.size();
      u64 last = (size - 1) / a * a;
      // The last (partial) block, across the last two, the last byte; requests this session
      // may send (NBD: offsets and lengths multiples of its minimum block size) only.
      std::vector<Range> wanted = {{last, size - last}};
      if (last >= a) wanted.push_back({last - a, size - last + a});
      wanted.push_back({size - 1, 1});
      std::vector<Range> qs;
      for (Range rg : wanted) {
        if (rg.offset % mb) rg.offset = rg.offset / mb * mb, rg.length = size - rg.offset;
        if (rg.length % mb) rg.length = rg.length / mb * mb;
        if (rg.length == 0 && rg.offset >= mb) rg = {rg.offset - mb, mb};
        if (rg.length == 0) continue;
        if (std::none_of(qs.begin(), qs.end(), [&](const Range& q) { return q.offset == rg.offset && q.length == rg.length; }))
          qs.push_back(rg);
      }
      for (const auto& rg : qs)
        for (bool one : {false, true}) {
          if (!budget()) {
            rep_.notes.push_back("unaligned-tail (" + label + "): " + budget_text());
            return;
          }
          StatusReply r = query(s, s.contexts(), rg.offset, rg.length, one, "unaligned-tail");
          if (!r.ok())
            rep_.notes.push_back("tail query " + range_text(rg.offset, rg.length) + (one ? " REQ_ONE" : "") + " (" +
                                 label + ") refused: " + r.error);
        }
    };
    run_on(*main_, "block size requested");
    SessionRequest req;
    req.contexts = ctxs_;
    req.request_block_size = false;
    if (auto s = open_extra(req, "block size not requested")) {
      run_on(*s, "block size not requested");
    } else {
      // One client at a time: hand the main session back, use the other one alone, then
      // reconnect the main one with the same contexts.
      main_.reset();
      try {
        auto alone = target_.open(req).session;
        run_on(*alone, "block size not requested, after closing the main session");
      } catch (const std::exception& e) {
        rep_.notes.push_back("session without block size failed even alone: " + std::string(e.what()));
      }
      try {
        SessionRequest again;
        again.contexts = ctxs_;
        main_ = target_.open(again).session;
        if (main_->contexts() != ctxs_) throw std::runtime_error("the server negotiated other contexts the second time");
      } catch (const std::exception& e) {
        main_.reset();
        rep_.notes.push_back("could not reconnect the main session: " + std::string(e.what()));
      }
    }
    if (rep_.size % std::max<u64>(rep_.min_block, 512) == 0)
      rep_.notes.push_back("the export size is aligned: unaligned-tail queried the last whole block");
  }

  std::vector<Range> random_ranges(unsigned n) {
    std::vector<Range> out;
    u64 mb = rep_.min_block;
    u64 blocks = rep_.size / mb;
    if (blocks == 0) return out;
    for (unsigned i = 0; i < n; ++i) {
      u64 off = std::uniform_int_distribution<u64>(0, blocks - 1)(rng_) * mb;
      u64 room = std::min<u64>(rep_.size - off, 4ull << 20);
      u64 len = std::uniform_int_distribution<u64>(1, std::max<u64>(1, room / mb))(rng_) * mb;
      if (off + len > rep_.size || room < mb) len = rep_.size - off;
      out.push_back({off, len});
    }
    return out;
  }

  // The extents of one context in a reply, with absolute starts.
  static std::vector<model::NbdExtent> extents_of(const StatusReply& r, const std::string& ctx) {
    std::vector<model::NbdExtent> out;
    for (const auto& ch : r.chunks) {
      if (ch.context != ctx) continue;
      u64 pos = ch.offset;
      for (const auto& e : ch.extents) {
        out.push_back({pos, e.length, e.value});
        pos += e.length;
      }
    }
    return out;
  }

  void check_repeatable(const std::vector<Range>& ranges) {
    for (const auto& rg : ranges) {
      if (!budget()) return skip_all_contexts("repeatable", budget_text());
      StatusReply a = query(*main_, ctxs_, rg.offset, rg.length, false);
      StatusReply b = query(*main_, ctxs_, rg.offset, rg.length, false);
      if (!a.ok() || !b.ok()) continue;
      for (const auto& ctx : ctxs_) {
        ran("repeatable", ctx);
        auto ea = extents_of(a, ctx), eb = extents_of(b, ctx);
        if (ea != eb)
          violate("repeatable", ctx,
                  "query " + range_text(rg.offset, rg.length) + " twice: " + describe_extents(ea) + " then " +
                      describe_extents(eb));
      }
    }
  }

  void check_interleaved(const std::vector<Range>& ranges) {
    if (ctxs_.size() < 2) return skip_all_contexts("interleaved", "only one context negotiated");
    for (const auto& ctx : ctxs_) {
      SessionRequest req;
      req.contexts = {ctx};
      std::unique_ptr<ExportSession> solo = open_extra(req, "only " + ctx);
      if (!solo) {
        skip("interleaved", ctx, "no second session (see notes)");
        continue;
      }
      for (const auto& rg : ranges) {
        if (!budget()) return skip_all_contexts("interleaved", budget_text());
        StatusReply alone = query(*solo, {ctx}, rg.offset, rg.length, false);
        StatusReply beside = query(*main_, ctxs_, rg.offset, rg.length, false);
        if (!alone.ok() || !beside.ok()) continue;
        ran("interleaved", ctx);
        if (auto d = first_difference(extents_of(alone, ctx), extents_of(beside, ctx)))
          violate("interleaved", ctx, "query " + range_text(rg.offset, rg.length) + ": alone vs beside the others: " + *d);
      }
    }
  }

  void check_tiling(const std::vector<Range>& ranges) {
    for (const auto& rg : ranges) {
      if (!budget()) return skip_all_contexts("tiling", budget_text());
      if (rg.offset >= walked_) continue;
      for (bool one : {false, true}) {
        StatusReply r = query(*main_, ctxs_, rg.offset, rg.length, one);
        if (!r.ok()) continue;
        for (const auto& ctx : ctxs_) {
          ran("tiling", ctx);
          if (auto d = first_difference(extents_of(r, ctx), whole_[ctx]))
            violate("tiling", ctx, "query " + range_text(rg.offset, rg.length) + (one ? " REQ_ONE" : "") +
                                       " vs the whole-export walk: " + *d);
        }
      }
    }
  }

  void finish() {
    std::vector<std::string> columns = ctxs_.empty() ? std::vector<std::string>{kBase} : ctxs_;
    for (const auto& c : checks()) {
      std::vector<std::string> cols = c.per_context ? columns : std::vector<std::string>{kExport};
      if (c.per_context)  // listed-but-not-selected contexts show up in `negotiated` only
        for (const auto& [key, cell] : cells_)
          if (key.first == c.id && std::find(cols.begin(), cols.end(), key.second) == cols.end())
            cols.push_back(key.second);
      for (const auto& ctx : cols) {
        CheckResult r;
        r.check = c.id;
        r.context = ctx;
        r.level = c.level;
        auto it = cells_.find({c.id, ctx});
        if (it == cells_.end() || (!it->second.ran && it->second.violations == 0)) {
          r.status = Status::Skip;
          r.why = it != cells_.end() && !it->second.skip.empty() ? it->second.skip : "not exercised";
        } else {
          r.status = it->second.violations ? Status::Fail : Status::Pass;
          r.why = it->second.violations ? it->second.why : "";
          r.violations = it->second.violations;
          r.queries = it->second.queries;
        }
        rep_.results.push_back(r);
      }
    }
  }

  ExportTarget& target_;
  ConformanceOptions opt_;
  std::mt19937_64 rng_;
  ConformanceReport rep_;
  std::map<std::pair<std::string, std::string>, Cell> cells_;
  std::unique_ptr<ExportSession> main_;
  std::vector<std::string> ctxs_;
  std::map<std::string, std::vector<model::NbdExtent>> whole_;
  u64 walked_ = 0;
  std::string extra_failed_;
};

}  // namespace

const std::vector<std::string>& check_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> v;
    for (const auto& c : checks()) v.push_back(c.id);
    return v;
  }();
  return ids;
}

const CheckResult* ConformanceReport::find(const std::string& check, const std::string& context) const {
  for (const auto& r : results)
    if (r.check == check && r.context == context) return &r;
  return nullptr;
}

bool ConformanceReport::must_failed() const {
  return std::any_of(results.begin(), results.end(),
                     [](const CheckResult& r) { return r.status == Status::Fail && r.level == Level::Must; });
}

bool ConformanceReport::any_failed() const {
  return std::any_of(results.begin(), results.end(), [](const CheckResult& r) { return r.status == Status::Fail; });
}

ConformanceReport run_conformance(ExportTarget& target, const std::string& description,
                                  const ConformanceOptions& options) {
  Runner runner(target, options);
  return runner.run(description);
}

}  // namespace chaincheck::oracle::conformance
