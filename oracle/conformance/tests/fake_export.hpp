// A scripted NBD export for the conformance judge's unit tests: honest by default, with
// one knob per way a server can be wrong.
#pragma once

#include <map>
#include <stdexcept>

#include "oracle/conformance/export_target.hpp"

namespace chaincheck::oracle::conformance::testing {

struct FakeExport {
  u64 size = 1 << 20;
  u64 min_block = 1;
  std::vector<std::uint8_t> data = std::vector<std::uint8_t>(1 << 20, 0);
  // Per context: extents tiling [0, size).
  std::map<std::string, std::vector<model::NbdExtent>> contexts;
  bool list_supported = true;
  // Faults.
  bool ignore_req_one = false;     // several descriptors under REQ_ONE
  bool overshoot_end = false;      // the last descriptor runs 512 bytes past the export end
  bool flip_flop = false;          // every other reply flips bit 0 of every value
  bool extra_chunk = false;        // two chunks per context
  bool one_client = false;         // a second concurrent session cannot be opened
  int open_sessions = 0;
  int opened = 0;  // sessions ever opened
  unsigned replies = 0;
};

class FakeSession : public ExportSession {
 public:
  FakeSession(FakeExport& e, std::vector<std::string> ctxs, bool block_size)
      : e_(e), ctxs_(std::move(ctxs)), block_size_(block_size) {
    e_.open_sessions++;
    e_.opened++;
  }
  ~FakeSession() override { e_.open_sessions--; }
  u64 size() override { return e_.size; }
  u64 min_block() override { return block_size_ ? e_.min_block : 1; }
  u64 preferred_block() override { return 4096; }
  bool structured_replies() override { return true; }
  std::vector<std::string> contexts() override { return ctxs_; }
  StatusReply block_status(u64 off, u64 count, bool req_one) override {
    if (off + count > e_.size || count == 0) return {{}, "EINVAL"};
    StatusReply r;
    bool zeroed = e_.flip_flop && (e_.replies++ % 2 == 1);
    for (const auto& ctx : ctxs_) {
      model::ContextReply ch{.context = ctx, .offset = off, .request_length = count};
      for (const auto& x : e_.contexts.at(ctx)) {
        if (x.end() <= off || x.start >= off + count) continue;
        u64 s = std::max(x.start, off);
        ch.extents.push_back({s, x.end() - s, zeroed ? x.value ^ 1u : x.value});
      }
      if (req_one && !e_.ignore_req_one) {
        ch.extents.resize(1);
        ch.extents[0].length = std::min(ch.extents[0].length, count);
      }
      if (e_.overshoot_end && ch.extents.back().end() == e_.size) ch.extents.back().length += 512;
      r.chunks.push_back(ch);
      if (e_.extra_chunk) r.chunks.push_back(ch);
    }
    return r;
  }
  std::vector<std::uint8_t> read(u64 off, u64 count) override {
    if (off + count > e_.size) throw std::runtime_error("read past the end");
    return {e_.data.begin() + off, e_.data.begin() + off + count};
  }

 private:
  FakeExport& e_;
  std::vector<std::string> ctxs_;
  bool block_size_;
};

class FakeTarget : public ExportTarget {
 public:
  explicit FakeTarget(FakeExport& e) : e_(e) {}
  OpenedSession open(const SessionRequest& req) override {
    if (e_.one_client && e_.open_sessions > 0) throw std::runtime_error("no handshake (one client at a time)");
    OpenedSession o;
    std::vector<std::string> want = req.contexts;
    if (req.list_contexts) {
      if (e_.list_supported) {
        std::vector<std::string> names;
        for (const auto& [name, ext] : e_.contexts) names.push_back(name);
        o.offered = names;
        for (const auto& n : names)
          if (std::find(want.begin(), want.end(), n) == want.end()) want.push_back(n);
      } else {
        o.list_error = "unsupported";
      }
    }
    std::vector<std::string> selected;
    for (const auto& w : want)
      if (e_.contexts.count(w)) selected.push_back(w);
    o.session = std::make_unique<FakeSession>(e_, selected, req.request_block_size);
    return o;
  }

 private:
  FakeExport& e_;
};

}  // namespace chaincheck::oracle::conformance::testing
