// A live qemu-nbd export that many fuzz inputs share without restarting the server: one
// big sparse chain (overlay over a backing image whose content repeats identically in every
// W-byte window), and each input gets a window nobody has touched yet. The model needs only
// one window: every fresh window starts in the state of the model's W-byte chain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "impl/nbd/nbd_client.hpp"
#include "impl/process/process.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "model/scenario/model_system.hpp"

namespace chaincheck::fuzz {

using model::u64;

// The chain's geometry. Base: qcow2, 16 KiB clusters, extended L2 (512-byte subclusters).
// Overlay: qcow2, 32 KiB clusters, extended L2 (1 KiB subclusters). A window spans 4
// overlay clusters and 8 base clusters.
inline constexpr unsigned kBaseClusterBits = 14;
inline constexpr unsigned kTopClusterBits = 15;
inline constexpr u64 kWindow = 128 * 1024;
// 128 MiB of virtual size: the base takes about a second to write once; the overlay is
// recreated (qemu-nbd restarted, ~0.3 s) after every 1024 inputs.
inline constexpr u64 kWindows = 1024;

// What the backing image holds in every window (offsets relative to the window).
struct BaseOp {
  model::OpKind kind;
  u64 offset, length;
  std::uint8_t pattern;
};
const std::vector<BaseOp>& base_pattern();

// The model's chain: one window of it (base + overlay of size kWindow).
model::Scenario window_scenario(const model::HostFs& host);
// The model state after window_scenario's steps (throws if the model refuses one).
model::ModelState window_model(const model::Scenario& s);

// The live side: the images in a private workspace, one persistent qemu-nbd (-A,
// --discard=unmap) and one libnbd client asking both contexts. Windows are handed out in
// order; when all are used the overlay is recreated (the server restarted on it).
class WindowedChain {
 public:
  WindowedChain();
  ~WindowedChain();
  WindowedChain(const WindowedChain&) = delete;
  WindowedChain& operator=(const WindowedChain&) = delete;

  // The first byte of a window no command has touched.
  u64 fresh_window();
  impl::NbdClient& client() { return *client_; }
  u64 export_size() const { return export_size_; }
  model::BlockSizeLimits block_size() const { return block_size_; }
  unsigned overlays_made() const { return overlays_; }
  const std::filesystem::path& dir() const { return ws_.path(); }

 private:
  void make_base();
  void start_overlay();
  void stop();

  impl::Workspace ws_;
  std::unique_ptr<impl::QemuNbdServer> server_;
  std::unique_ptr<impl::NbdClient> client_;
  u64 next_window_ = 0;
  u64 export_size_ = 0;
  model::BlockSizeLimits block_size_;
  unsigned overlays_ = 0;
};

}  // namespace chaincheck::fuzz
