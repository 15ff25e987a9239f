// Readiness of an NBD server: a connection is accepted AND the server completes the NBD
// greeting. A bare connect() is not enough: qemu-nbd listens before it opens its image, so
// connect() succeeds (the kernel queues it) even when the server will fail or hang.
#pragma once

#include <chrono>
#include <filesystem>

namespace chaincheck::impl {

// True when the server at `socket` completes the NBD handshake within `timeout`
// (bounded: never blocks longer, whatever the server does).
bool nbd_handshake_completes(const std::filesystem::path& socket,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(200));

}  // namespace chaincheck::impl
