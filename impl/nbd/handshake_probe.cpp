#include "impl/nbd/handshake_probe.hpp"

#include <libnbd.h>

#include <algorithm>

namespace chaincheck::impl {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(left, 0));
}

}  // namespace

bool nbd_handshake_completes(const std::filesystem::path& socket, std::chrono::milliseconds timeout) {
  nbd_handle* h = nbd_create();
  if (!h) return false;
  const auto deadline = Clock::now() + timeout;
  bool ok = false;
  // Option mode: stop after the greeting, before choosing an export, then abort politely.
  if (nbd_set_opt_mode(h, true) != -1 && nbd_aio_connect_unix(h, socket.c_str()) != -1) {
    while (nbd_aio_is_connecting(h) == 1 && ms_left(deadline) > 0)
      if (nbd_poll(h, ms_left(deadline)) == -1) break;
    ok = nbd_aio_is_negotiating(h) == 1;
    if (ok && nbd_aio_opt_abort(h) != -1) {
      const auto bye = Clock::now() + std::chrono::milliseconds(100);
      while (nbd_aio_is_closed(h) != 1 && nbd_aio_is_dead(h) != 1 && ms_left(bye) > 0)
        if (nbd_poll(h, ms_left(bye)) == -1) break;
    }
  }
  nbd_close(h);
  return ok;
}

}  // namespace chaincheck::impl
