#include "fuzz/differential_nbd/windowed_chain.hpp"

#include <filesystem>
#include <stdexcept>

#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/qemu_tools/qemu_io.hpp"

namespace chaincheck::fuzz {

using model::OpKind;

const std::vector<BaseOp>& base_pattern() {
  // Data clusters, a partial subcluster write, a zero cluster, zero subclusters inside an
  // unallocated cluster, data up to the window's end; clusters 1 and 3 stay unallocated.
  static const std::vector<BaseOp> ops = {
      {OpKind::Write, 0, 16384, 0x41},
      {OpKind::Write, 2 * 16384 + 1024, 2048, 0x42},
      {OpKind::WriteZeroes, 4 * 16384, 16384, 0},
      {OpKind::WriteZeroes, 5 * 16384 + 512, 1024, 0},
      {OpKind::Write, 6 * 16384, 2 * 16384, 0x43},
  };
  return ops;
}

model::Scenario window_scenario(const model::HostFs& host) {
  model::Scenario s;
  s.host = host;
  model::CreateOptions base{.name = "base.qcow2", .format = model::ImageFormat::Qcow2, .size = kWindow};
  base.cluster_bits = kBaseClusterBits;
  base.extended_l2 = true;
  model::CreateOptions top{.name = "top.qcow2", .format = model::ImageFormat::Qcow2};
  top.cluster_bits = kTopClusterBits;
  top.extended_l2 = true;
  top.backing_file = "base.qcow2";
  top.backing_format = model::ImageFormat::Qcow2;
  s.steps = {model::CreateStep{base}, model::CreateStep{top}};
  for (const BaseOp& op : base_pattern())
    s.steps.push_back(model::IoStep{model::GraphSpec::of_image("base.qcow2"),
                                    {op.kind, op.offset, op.length, op.pattern, false}});
  s.export_spec = model::ExportSpec{model::GraphSpec::of_image("top.qcow2")};
  s.queries = {model::Query::BaseAllocation, model::Query::AllocationDepth, model::Query::Content};
  return s;
}

model::ModelState window_model(const model::Scenario& s) {
  model::ModelState st;
  st.host = s.host;
  for (const model::Step& step : s.steps) {
    std::string err = model::apply_step(st, step);
    if (!err.empty()) throw std::runtime_error("the model refuses the window set-up: " + err);
  }
  return st;
}

WindowedChain::WindowedChain() {
  make_base();
  start_overlay();
}

WindowedChain::~WindowedChain() { stop(); }

void WindowedChain::make_base() {
  impl::QemuImg img(ws_.path());
  impl::CreateOptions o;
  o.size = kWindow * kWindows;
  o.cluster_size = u64{1} << kBaseClusterBits;
  o.extended_l2 = true;
  img.create("base.qcow2", o);
  // One qemu-io per 512 windows: few processes, argv well under the kernel's limits.
  for (u64 first = 0; first < kWindows; first += 512) {
    impl::QemuIoScript io(impl::ImageRef::file("base.qcow2", "qcow2"));
    io.cache("writeback");
    for (u64 w = first; w < std::min(first + 512, kWindows); ++w) {
      for (const BaseOp& op : base_pattern()) {
        u64 at = w * kWindow + op.offset;
        if (op.kind == OpKind::Write) io.write(at, op.length, op.pattern);
        else io.write_zeroes(at, op.length, false);
      }
    }
    impl::QemuIoResult r = io.run(ws_.path(), std::chrono::minutes(5));
    if (!r.ok()) throw impl::ToolError("writing the windowed base image: " + r.first_error());
  }
}

void WindowedChain::start_overlay() {
  stop();
  std::filesystem::remove(ws_.file("top.qcow2"));
  impl::QemuImg img(ws_.path());
  impl::CreateOptions o;
  o.cluster_size = u64{1} << kTopClusterBits;
  o.extended_l2 = true;
  o.backing_file = "base.qcow2";
  o.backing_format = "qcow2";
  img.create("top.qcow2", o);
  impl::QemuNbdOptions so;
  so.allocation_depth = true;
  so.discard = "unmap";  // trims and zero writes without NO_HOLE may unmap (as the model's OpenOptions{true})
  so.cache = "unsafe";  // flushes are no-ops: durability is not what is fuzzed, speed is needed
  so.working_dir = ws_.path();
  server_ = std::make_unique<impl::QemuNbdServer>(impl::QemuNbdImage::file("top.qcow2", "qcow2"), so);
  client_ = std::make_unique<impl::NbdClient>();
  client_->request_meta_context("base:allocation");
  client_->request_meta_context("qemu:allocation-depth");
  client_->connect_unix(server_->socket());
  export_size_ = client_->size();
  if (export_size_ != kWindow * kWindows)
    throw impl::ToolError("the windowed export has " + std::to_string(export_size_) + " bytes, not " +
                          std::to_string(kWindow * kWindows));
  if (!client_->can_meta_context("base:allocation") || !client_->can_meta_context("qemu:allocation-depth"))
    throw impl::ToolError("qemu-nbd did not agree to both metadata contexts");
  impl::BlockSizes bs = client_->block_sizes();
  block_size_ = {bs.minimum ? bs.minimum : 1, bs.preferred, bs.maximum};
  next_window_ = 0;
  ++overlays_;
}

void WindowedChain::stop() {
  if (client_) {
    try {
      client_->disconnect();
    } catch (const impl::ToolError&) {
      // The server may already be gone; the handle is closed by the destructor anyway.
    }
    client_.reset();
  }
  server_.reset();  // kills and reaps qemu-nbd, removes its socket directory
}

u64 WindowedChain::fresh_window() {
  if (next_window_ == kWindows) start_overlay();
  return kWindow * next_window_++;
}

}  // namespace chaincheck::fuzz
