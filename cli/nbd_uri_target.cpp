#include "cli/nbd_uri_target.hpp"

#include <libnbd.h>

#include <algorithm>

#include "impl/nbd/nbd_client.hpp"

namespace chaincheck::cli {

namespace conf = oracle::conformance;

namespace {

// Generous for a live server; bounded so a server that serves one client at a time (or
// never answers) makes nbd-check say so instead of hanging.
constexpr std::chrono::milliseconds kConnectTimeout{5000};

class NbdSession : public conf::ExportSession {
 public:
  explicit NbdSession(impl::NbdClient c) : c_(std::move(c)) {}
  ~NbdSession() override { c_.disconnect(); }
  conf::u64 size() override { return c_.size(); }
  conf::u64 min_block() override { return std::max<conf::u64>(1, c_.block_sizes().minimum); }
  conf::u64 preferred_block() override { return c_.block_sizes().preferred; }
  bool structured_replies() override { return c_.structured_replies(); }
  std::vector<std::string> contexts() override { return c_.negotiated_contexts(); }
  conf::StatusReply block_status(conf::u64 offset, conf::u64 count, bool req_one) override {
    impl::BlockStatusObservation obs = c_.block_status(offset, count, req_one ? LIBNBD_CMD_FLAG_REQ_ONE : 0);
    conf::StatusReply r;
    r.error = obs.error;
    for (const auto& ch : obs.replies) {
      model::ContextReply m{.context = ch.context, .offset = ch.offset, .request_length = count};
      conf::u64 pos = ch.offset;
      for (const auto& e : ch.extents) {
        m.extents.push_back({pos, e.length, e.flags});
        pos += e.length;
      }
      r.chunks.push_back(std::move(m));
    }
    return r;
  }
  std::vector<std::uint8_t> read(conf::u64 offset, conf::u64 count) override { return c_.pread(offset, count); }

 private:
  impl::NbdClient c_;
};

}  // namespace

conf::OpenedSession NbdUriTarget::open(const conf::SessionRequest& request) {
  conf::OpenedSession out;
  impl::NbdClient c;
  c.set_request_block_size(request.request_block_size);
  for (const auto& ctx : request.contexts) c.request_meta_context(ctx);
  if (!request.list_contexts) {
    c.connect_uri(uri_, kConnectTimeout);
  } else {
    c.set_opt_mode(true);
    c.connect_uri(uri_, kConnectTimeout);
    try {
      std::vector<std::string> listed = c.opt_list_meta_contexts();
      for (const auto& name : listed)
        if (!name.empty() && name.back() != ':' &&
            std::find(request.contexts.begin(), request.contexts.end(), name) == request.contexts.end())
          c.request_meta_context(name);
      out.offered = std::move(listed);
    } catch (const impl::NbdConnectionLost&) {
      throw;
    } catch (const impl::NbdError& e) {
      out.list_error = e.what();
    }
    c.opt_go();
  }
  out.session = std::make_unique<NbdSession>(std::move(c));
  return out;
}

}  // namespace chaincheck::cli
