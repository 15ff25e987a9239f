#include "impl/nbd/nbd_client.hpp"

#include <libnbd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

namespace chaincheck::impl {

namespace {

std::string last_error_text() {
  const char* e = nbd_get_error();
  return e ? e : "unknown libnbd error";
}

// A handle that closes itself; for the short listing connection.
struct HandleCloser {
  nbd_handle* h;
  ~HandleCloser() { nbd_close(h); }
};

std::string range(uint64_t offset, uint64_t count) {
  return "offset " + std::to_string(offset) + " count " + std::to_string(count);
}

bool handle_is_dead(nbd_handle* h) { return nbd_aio_is_dead(h) == 1 || nbd_aio_is_closed(h) == 1; }

// Collects every block-status chunk exactly as libnbd hands it over (one call per chunk).
int record_extents(void* user_data, const char* metacontext, uint64_t offset, uint32_t* entries,
                   size_t nr_entries, int* /*error*/) {
  auto* replies = static_cast<std::vector<ContextReply>*>(user_data);
  ContextReply reply;
  reply.context = metacontext ? metacontext : "";
  reply.offset = offset;
  reply.extents.reserve(nr_entries / 2);
  for (size_t i = 0; i + 1 < nr_entries; i += 2) reply.extents.push_back({entries[i], entries[i + 1]});
  replies->push_back(std::move(reply));
  return 0;  // never abort: the oracle, not the client, judges the reply
}

int record_context_name(void* user_data, const char* name) {
  static_cast<std::vector<std::string>*>(user_data)->emplace_back(name ? name : "");
  return 0;
}

}  // namespace

NbdClient::NbdClient() : h_(nbd_create()) {
  if (!h_) throw NbdError("nbd_create: " + last_error_text(), nbd_get_errno());
}

NbdClient::~NbdClient() { nbd_close(h_); }

NbdClient::NbdClient(NbdClient&& other) noexcept
    : h_(std::exchange(other.h_, nullptr)),
      socket_(std::move(other.socket_)),
      export_name_(std::move(other.export_name_)),
      requested_(std::move(other.requested_)) {}

NbdClient& NbdClient::operator=(NbdClient&& other) noexcept {
  if (this != &other) {
    nbd_close(h_);
    h_ = std::exchange(other.h_, nullptr);
    socket_ = std::move(other.socket_);
    export_name_ = std::move(other.export_name_);
    requested_ = std::move(other.requested_);
  }
  return *this;
}

nbd_handle* NbdClient::handle() const {
  if (!h_) throw ToolError("NbdClient: use of a moved-from client");
  return h_;
}

void NbdClient::fail(const std::string& context) const {
  // libnbd's message already starts with the call's name ("nbd_pread: ..."); add what it
  // does not say (which socket, which context).
  std::string text = last_error_text();
  if (!context.empty()) text += " (" + context + ")";
  int err = nbd_get_errno();
  if (h_ && handle_is_dead(h_)) throw NbdConnectionLost(text, err, {});
  throw NbdError(text, err);
}

void NbdClient::set_export_name(const std::string& name) {
  if (nbd_set_export_name(handle(), name.c_str()) == -1) fail("");
  export_name_ = name;
}

void NbdClient::request_meta_context(const std::string& name) {
  if (nbd_add_meta_context(handle(), name.c_str()) == -1) fail("context " + name);
  requested_.push_back(name);
}

void NbdClient::set_request_block_size(bool request) {
  if (nbd_set_request_block_size(handle(), request) == -1) fail("");
}

void NbdClient::set_strict_mode(uint32_t flags) {
  if (nbd_set_strict_mode(handle(), flags) == -1) fail("");
}

uint32_t NbdClient::strict_mode() const { return nbd_get_strict_mode(handle()); }

void NbdClient::connect_unix(const std::filesystem::path& socket) {
  if (nbd_connect_unix(handle(), socket.c_str()) == -1) fail("socket " + socket.string());
  socket_ = socket;
}

void NbdClient::connect_uri(const std::string& uri, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    if (nbd_connect_uri(handle(), uri.c_str()) == -1) fail("uri " + uri);
  } else {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + timeout;
    auto ms_left = [&] {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      return static_cast<int>(std::max<long long>(left, 0));
    };
    if (nbd_aio_connect_uri(handle(), uri.c_str()) == -1) fail("uri " + uri);
    // Done when ready (or negotiating, in opt mode); a failed handshake leaves it dead.
    while (nbd_aio_is_ready(h_) != 1 && nbd_aio_is_negotiating(h_) != 1 && !handle_is_dead(h_) && ms_left() > 0)
      if (nbd_poll(h_, ms_left()) == -1) fail("uri " + uri);
    if (handle_is_dead(h_)) fail("uri " + uri);
    if (nbd_aio_is_ready(h_) != 1 && nbd_aio_is_negotiating(h_) != 1)
      throw NbdError("nbd_connect_uri: no NBD handshake within " + std::to_string(timeout.count()) +
                         " ms (uri " + uri + "; does the server serve one client at a time?)",
                     ETIMEDOUT);
  }
  char* name = nbd_get_export_name(handle());
  if (name) export_name_ = name;
  free(name);
}

void NbdClient::set_opt_mode(bool enable) {
  if (nbd_set_opt_mode(handle(), enable) == -1) fail("");
}

std::vector<std::string> NbdClient::opt_list_meta_contexts(const std::vector<std::string>& queries) {
  // libnbd lists with the queries added by add_meta_context; keep the caller's requested
  // contexts aside and restore them for opt_go.
  if (nbd_clear_meta_contexts(handle()) == -1) fail("");
  for (const auto& q : queries)
    if (nbd_add_meta_context(handle(), q.c_str()) == -1) fail("query " + q);
  std::vector<std::string> names;
  nbd_context_callback cb{.callback = record_context_name, .user_data = &names, .free = nullptr};
  int rc = nbd_opt_list_meta_context(handle(), cb);
  std::string error = rc == -1 ? last_error_text() : "";
  int err = rc == -1 ? nbd_get_errno() : 0;
  if (nbd_clear_meta_contexts(handle()) == -1) fail("");
  for (const auto& name : requested_)
    if (nbd_add_meta_context(handle(), name.c_str()) == -1) fail("context " + name);
  if (rc == -1) {
    if (handle_is_dead(h_)) throw NbdConnectionLost(error, err, {});
    throw NbdError(error, err);
  }
  return names;
}

void NbdClient::opt_go() {
  if (nbd_opt_go(handle()) == -1) fail("NBD_OPT_GO");
}

std::vector<std::string> NbdClient::list_meta_contexts(const std::vector<std::string>& queries) const {
  if (socket_.empty()) throw ToolError("list_meta_contexts: client is not connected (no socket known)");
  return list_meta_contexts(socket_, export_name_, queries);
}

std::vector<std::string> NbdClient::list_meta_contexts(const std::filesystem::path& socket,
                                                       const std::string& export_name,
                                                       const std::vector<std::string>& queries) {
  nbd_handle* h = nbd_create();
  if (!h) throw NbdError("nbd_create: " + last_error_text(), nbd_get_errno());
  HandleCloser closer{h};
  auto check = [&](int rc, const std::string& context) {
    if (rc == -1) throw NbdError(last_error_text() + " (" + context + ")", nbd_get_errno());
  };
  check(nbd_set_export_name(h, export_name.c_str()), "export " + export_name);
  check(nbd_set_opt_mode(h, true), "listing contexts");
  for (const auto& q : queries) check(nbd_add_meta_context(h, q.c_str()), "query " + q);
  check(nbd_connect_unix(h, socket.c_str()), "socket " + socket.string());
  std::vector<std::string> names;
  nbd_context_callback cb{.callback = record_context_name, .user_data = &names, .free = nullptr};
  check(nbd_opt_list_meta_context(h, cb), "socket " + socket.string());
  nbd_opt_abort(h);  // only a listing: leave without entering transmission
  return names;
}

bool NbdClient::connected() const { return h_ && nbd_aio_is_ready(h_) == 1; }

bool NbdClient::can_meta_context(const std::string& name) const {
  int r = nbd_can_meta_context(handle(), name.c_str());
  if (r == -1) fail("context " + name);
  return r == 1;
}

std::vector<std::string> NbdClient::negotiated_contexts() const {
  std::vector<std::string> out;
  for (const auto& name : requested_)
    if (can_meta_context(name)) out.push_back(name);
  return out;
}

uint64_t NbdClient::size() const {
  int64_t s = nbd_get_size(handle());
  if (s < 0) fail("");
  return static_cast<uint64_t>(s);
}

ExportFlags NbdClient::flags() const {
  auto flag = [&](int (*get)(nbd_handle*)) {
    int r = get(handle());
    if (r == -1) fail("");
    return r == 1;
  };
  ExportFlags f;
  f.read_only = flag(nbd_is_read_only);
  f.can_flush = flag(nbd_can_flush);
  f.can_fua = flag(nbd_can_fua);
  f.can_trim = flag(nbd_can_trim);
  f.can_zero = flag(nbd_can_zero);
  f.can_fast_zero = flag(nbd_can_fast_zero);
  f.can_df = flag(nbd_can_df);
  f.can_multi_conn = flag(nbd_can_multi_conn);
  f.can_cache = flag(nbd_can_cache);
  return f;
}

BlockSizes NbdClient::block_sizes() const {
  auto get = [&](int which, const char* name) {
    int64_t v = nbd_get_block_size(handle(), which);
    if (v < 0) fail(std::string("block size ") + name);
    return static_cast<uint64_t>(v);  // 0: the server advertised nothing
  };
  return {get(LIBNBD_SIZE_MINIMUM, "minimum"), get(LIBNBD_SIZE_PREFERRED, "preferred"),
          get(LIBNBD_SIZE_MAXIMUM, "maximum")};
}

bool NbdClient::structured_replies() const {
  int r = nbd_get_structured_replies_negotiated(handle());
  if (r == -1) fail("");
  return r == 1;
}

BlockStatusObservation NbdClient::block_status(uint64_t offset, uint64_t count, uint32_t flags) {
  BlockStatusObservation obs;
  obs.offset = offset;
  obs.count = count;
  nbd_extent_callback cb{.callback = record_extents, .user_data = &obs.replies, .free = nullptr};
  if (nbd_block_status(handle(), count, offset, cb, flags) == -1) {
    obs.error = last_error_text();
    if (handle_is_dead(h_)) throw NbdConnectionLost(obs.error, nbd_get_errno(), std::move(obs));
  }
  return obs;
}

std::vector<uint8_t> NbdClient::pread(uint64_t offset, uint64_t count, uint32_t flags) {
  std::vector<uint8_t> buf(count);
  if (nbd_pread(handle(), buf.data(), buf.size(), offset, flags) == -1) fail(range(offset, count));
  return buf;
}

void NbdClient::pwrite(uint64_t offset, const std::vector<uint8_t>& data, uint32_t flags) {
  if (nbd_pwrite(handle(), data.data(), data.size(), offset, flags) == -1) fail(range(offset, data.size()));
}

void NbdClient::zero(uint64_t offset, uint64_t count, uint32_t flags) {
  if (nbd_zero(handle(), count, offset, flags) == -1) fail(range(offset, count));
}

void NbdClient::trim(uint64_t offset, uint64_t count, uint32_t flags) {
  if (nbd_trim(handle(), count, offset, flags) == -1) fail(range(offset, count));
}

void NbdClient::flush() {
  if (nbd_flush(handle(), 0) == -1) fail("");
}

void NbdClient::disconnect() {
  if (h_ && nbd_aio_is_ready(h_) == 1) nbd_shutdown(h_, 0);
}

}  // namespace chaincheck::impl
