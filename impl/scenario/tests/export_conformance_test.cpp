// One conformance suite, written once and run against every system that can serve a
// writable export of an overlay chain: the model itself (a fake), qemu-nbd,
// qemu-storage-daemon, and nbdkit's cow filter (an independent overlay implementation).
#include <gtest/gtest.h>
#include <libnbd.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <random>

#include "impl/nbd/nbd_client.hpp"
#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/qemu_tools/qemu_io.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "impl/servers/nbdkit_server.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "impl/servers/storage_daemon.hpp"
#include "model/semantics/chain.hpp"
#include "model/scenario/model_system.hpp"
#include "oracle/judge.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;

constexpr u64 kSize = 1 << 20;
constexpr u64 kCluster = 64 * 1024;

// The interface the suite is written against.
class WritableExport {
 public:
  virtual ~WritableExport() = default;
  virtual void write(u64 off, u64 len, std::uint8_t pattern) = 0;
  virtual void zero(u64 off, u64 len, bool no_hole) = 0;
  virtual void trim(u64 off, u64 len) = 0;
  virtual std::vector<Extent<std::uint8_t>> read(u64 off, u64 len) = 0;
  virtual NbdObservation status() = 0;
  // Whether status() holds real NBD block-status replies (the NBD-spec checks apply).
  virtual bool speaks_nbd() const { return true; }
};

// base: 192 KiB of 'A' then a zero cluster; the overlay is empty.
Scenario chain(ImageFormat base_format) {
  Scenario s;
  model::CreateOptions base{.name = base_format == ImageFormat::Raw ? "base.raw" : "base.qcow2",
                            .format = base_format, .size = kSize};
  s.steps = {CreateStep{base},
             IoStep{GraphSpec::of_image(base.name), {OpKind::Write, 0, 3 * kCluster, 0x41, false}},
             IoStep{GraphSpec::of_image(base.name), {OpKind::WriteZeroes, 4 * kCluster, kCluster, 0, false}}};
  if (base_format == ImageFormat::Qcow2) {
    model::CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
    top.backing_file = base.name;
    top.backing_format = base_format;
    s.steps.push_back(CreateStep{top});
  }
  return s;
}

class ModelExport : public WritableExport {
 public:
  ModelExport() {
    for (const Step& st : chain(ImageFormat::Qcow2).steps) apply_step(s_, st);
    g_ = open_image(s_, "top.qcow2");
  }
  void write(u64 off, u64 len, std::uint8_t p) override { model::apply(s_, g_, {OpKind::Write, off, len, p, false}); }
  void zero(u64 off, u64 len, bool no_hole) override {
    model::apply(s_, g_, {OpKind::WriteZeroes, off, len, 0, !no_hole}, OpenOptions{true});
  }
  void trim(u64 off, u64 len) override { model::apply(s_, g_, {OpKind::Discard, off, len, 0, false}, OpenOptions{true}); }
  std::vector<Extent<std::uint8_t>> read(u64 off, u64 len) override { return content(s_, g_, g_.root, off, len); }
  NbdObservation status() override {
    NbdObservation o;
    o.export_size = kSize;
    for (NbdContext c : {NbdContext::BaseAllocation, NbdContext::AllocationDepth})
      o.replies.push_back({to_string(c), 0, kSize, nbd_extents(s_, g_, c, 0, kSize)});
    return o;
  }

 private:
  ModelState s_;
  Graph g_;
};

// The real servers, all spoken to through libnbd.
class LibnbdExport : public WritableExport {
 public:
  void write(u64 off, u64 len, std::uint8_t p) override { client_->pwrite(off, std::vector<std::uint8_t>(len, p)); }
  // A client follows what the server negotiated: without WRITE_ZEROES it writes zeroes,
  // without TRIM it skips the (advisory) trim.
  void zero(u64 off, u64 len, bool no_hole) override {
    if (client_->flags().can_zero) client_->zero(off, len, no_hole ? LIBNBD_CMD_FLAG_NO_HOLE : 0);
    else client_->pwrite(off, std::vector<std::uint8_t>(len, 0));
  }
  void trim(u64 off, u64 len) override {
    if (client_->flags().can_trim) client_->trim(off, len);
  }
  std::vector<Extent<std::uint8_t>> read(u64 off, u64 len) override {
    auto runs = read_runs(*client_, off + len);
    std::vector<Extent<std::uint8_t>> out;
    for (auto r : runs) {
      if (r.end() <= off) continue;
      if (r.start < off) {
        r.length -= off - r.start;
        r.start = off;
      }
      out.push_back(r);
    }
    return out;
  }
  NbdObservation status() override { return observe_block_status(*client_); }

 protected:
  void connect(const std::filesystem::path& socket, bool depth) {
    client_ = std::make_unique<NbdClient>();
    client_->request_meta_context("base:allocation");
    if (depth) client_->request_meta_context("qemu:allocation-depth");
    client_->connect_unix(socket);
  }
  void build(ImageFormat base) {
    std::map<std::string, ImageFormat> formats;
    for (const auto& e : realize_steps(chain(base), ws_, formats))
      if (!e.empty()) throw std::runtime_error(e);
  }
  Workspace ws_;
  std::unique_ptr<NbdClient> client_;
};

class QemuNbdExport : public LibnbdExport {
 public:
  QemuNbdExport() {
    build(ImageFormat::Qcow2);
    QemuNbdOptions o;
    o.allocation_depth = true;
    o.discard = "unmap";
    o.working_dir = ws_.path();
    server_ = std::make_unique<QemuNbdServer>(QemuNbdImage::file("top.qcow2", "qcow2"), o);
    connect(server_->socket(), true);
  }

 private:
  std::unique_ptr<QemuNbdServer> server_;
};

class StorageDaemonExport : public LibnbdExport {
 public:
  StorageDaemonExport() {
    build(ImageFormat::Qcow2);
    StorageDaemonOptions o;
    o.working_dir = ws_.path();
    qsd_ = std::make_unique<StorageDaemon>(o);
    qsd_->blockdev_add({{"node-name", "top"}, {"driver", "qcow2"}, {"discard", "unmap"},
                        {"file", {{"driver", "file"}, {"filename", ws_.file("top.qcow2").string()}, {"discard", "unmap"}}}});
    qsd_->block_export_add_nbd("top", "top", /*writable=*/true, /*allocation_depth=*/true);
    client_ = std::make_unique<NbdClient>();
    client_->set_export_name("top");
    client_->request_meta_context("base:allocation");
    client_->request_meta_context("qemu:allocation-depth");
    client_->connect_unix(qsd_->nbd_socket());
  }

 private:
  std::unique_ptr<StorageDaemon> qsd_;
};

class NbdkitCowExport : public LibnbdExport {
 public:
  NbdkitCowExport() {
    build(ImageFormat::Raw);
    server_ = std::make_unique<NbdkitServer>(NbdkitOptions::file(ws_.file("base.raw")).filter("cow"));
    connect(server_->socket(), false);
  }

 private:
  std::unique_ptr<NbdkitServer> server_;
};

// No server: every operation is a qemu-io process on the images (qemu-io opens with
// BDRV_O_UNMAP, so `write -z -u` may unmap as a zero request without NO_HOLE does),
// status is `qemu-img map --output=json` projected to the two contexts, content is the
// image converted to raw by qemu-img.
class QemuImgIoExport : public LibnbdExport {
 public:
  QemuImgIoExport() { build(ImageFormat::Qcow2); }
  void write(u64 off, u64 len, std::uint8_t p) override { io([&](QemuIoScript& s) { s.write(off, len, p); }); }
  void zero(u64 off, u64 len, bool no_hole) override {
    io([&](QemuIoScript& s) { s.write_zeroes(off, len, /*unmap=*/!no_hole); });
  }
  void trim(u64 off, u64 len) override { io([&](QemuIoScript& s) { s.discard(off, len); }); }
  std::vector<Extent<std::uint8_t>> read(u64 off, u64 len) override {
    QemuImg(ws_.path()).convert(ImageRef::file("top.qcow2", "qcow2"), "content.raw", {"qcow2", "raw"});
    std::ifstream f(ws_.file("content.raw"), std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<Extent<std::uint8_t>> out;
    for (u64 i = off; i < off + len && i < bytes.size(); ++i) {
      auto b = static_cast<std::uint8_t>(bytes[i]);
      if (!out.empty() && out.back().value == b) out.back().length++;
      else out.push_back({i, 1, b});
    }
    return out;
  }
  // map's data/zero become base:allocation (HOLE = not data), present/depth become
  // allocation depth (present at 0-based depth d = depth d+1), as the oracle's
  // cross-interface check relates them.
  NbdObservation status() override {
    NbdObservation o;
    o.export_size = kSize;
    o.contexts = {"base:allocation", "qemu:allocation-depth"};
    model::ContextReply base{"base:allocation", 0, kSize, {}}, depth{"qemu:allocation-depth", 0, kSize, {}};
    for (const auto& e : QemuImg(ws_.path()).map(ImageRef::file("top.qcow2", "qcow2"))) {
      base.extents.push_back({e.start, e.length, (e.data ? 0u : kNbdHole) | (e.zero ? kNbdZero : 0u)});
      depth.extents.push_back({e.start, e.length, e.present ? static_cast<std::uint32_t>(e.depth + 1) : 0u});
    }
    o.replies = {base, depth};
    return o;
  }
  bool speaks_nbd() const override { return false; }

 private:
  void io(const std::function<void(QemuIoScript&)>& add) {
    QemuIoScript s(ImageRef::file("top.qcow2", "qcow2"));
    add(s);
    QemuIoResult r = s.run(ws_.path());
    if (!r.ok()) throw ToolError(r.first_error());
  }
};

template <class T>
class ExportConformance : public ::testing::Test {
 protected:
  T exp;
  // Every reply keeps the NBD spec, tiles the export, and no ZERO/absent flag contradicts
  // the bytes.
  void expect_sound() {
    Observation o;
    o.nbd = exp.status();
    o.nbd->export_size = kSize;
    o.content = exp.read(0, kSize);
    for (const auto& f : oracle::content_findings(o)) ADD_FAILURE() << oracle::describe(f);
    for (const auto& ctx : o.nbd->contexts.empty() ? std::vector<std::string>{"base:allocation"} : o.nbd->contexts) {
      u64 pos = 0;
      for (const auto& e : context_extents(*o.nbd, ctx)) {
        EXPECT_EQ(e.start, pos) << ctx;
        pos = e.end();
      }
      EXPECT_EQ(pos, kSize) << ctx;
    }
  }
};

using Systems = ::testing::Types<ModelExport, QemuNbdExport, StorageDaemonExport, NbdkitCowExport, QemuImgIoExport>;
TYPED_TEST_SUITE(ExportConformance, Systems);

TYPED_TEST(ExportConformance, TheBackingShowsThroughAnEmptyOverlay) {
  EXPECT_EQ(this->exp.read(0, 4 * kCluster),
            (std::vector<Extent<std::uint8_t>>{{0, 3 * kCluster, 0x41}, {3 * kCluster, kCluster, 0}}));
  this->expect_sound();
}

TYPED_TEST(ExportConformance, ReadsBackWhatWasWritten) {
  this->exp.write(kCluster + 512, 4096, 7);
  this->exp.write(5 * kCluster, kCluster, 9);
  EXPECT_EQ(this->exp.read(kCluster, 8192),
            (std::vector<Extent<std::uint8_t>>{{kCluster, 512, 0x41}, {kCluster + 512, 4096, 7}, {kCluster + 4608, 3584, 0x41}}));
  EXPECT_EQ(this->exp.read(5 * kCluster, kCluster), (std::vector<Extent<std::uint8_t>>{{5 * kCluster, kCluster, 9}}));
  this->expect_sound();
}

TYPED_TEST(ExportConformance, ZeroedRangesReadZeroWithAndWithoutNoHole) {
  this->exp.zero(0, kCluster, /*no_hole=*/true);
  this->exp.zero(2 * kCluster + 4096, 8192, /*no_hole=*/false);
  EXPECT_EQ(this->exp.read(0, kCluster), (std::vector<Extent<std::uint8_t>>{{0, kCluster, 0}}));
  EXPECT_EQ(this->exp.read(2 * kCluster + 4096, 8192), (std::vector<Extent<std::uint8_t>>{{2 * kCluster + 4096, 8192, 0}}));
  this->expect_sound();
}

// The same random operations as below.
template <class T>
void random_operations(T& exp) {
  std::mt19937_64 rng(2026);
  for (int i = 0; i < 30; ++i) {
    u64 off = (rng() % 64) * 4096 * ((rng() % 3) + 1) % (kSize - 4096);
    u64 len = std::min<u64>(((rng() % 8) + 1) * 4096, kSize - off);
    switch (rng() % 4) {
      case 0: exp.write(off, len, static_cast<std::uint8_t>(1 + rng() % 250)); break;
      case 1: exp.zero(off, len, true); break;
      case 2: exp.zero(off, len, false); break;
      case 3: exp.trim(off, len); break;
    }
  }
}

TYPED_TEST(ExportConformance, BlockStatusRepliesKeepTheNbdSpec) {
  if (!this->exp.speaks_nbd()) GTEST_SKIP() << "no NBD replies: qemu-img map output is not bound by the NBD spec";
  random_operations(this->exp);
  NbdObservation o = this->exp.status();
  o.export_size = kSize;
  for (const auto& f : oracle::spec_findings(o, {"chain", 2, "conformance"})) ADD_FAILURE() << oracle::describe(f);
}

TYPED_TEST(ExportConformance, FlagsStaySoundThroughRandomOperations) {
  std::mt19937_64 rng(2026);
  for (int i = 0; i < 30; ++i) {
    u64 off = (rng() % 64) * 4096 * ((rng() % 3) + 1) % (kSize - 4096);
    u64 len = std::min<u64>(((rng() % 8) + 1) * 4096, kSize - off);
    switch (rng() % 4) {
      case 0: this->exp.write(off, len, static_cast<std::uint8_t>(1 + rng() % 250)); break;
      case 1: this->exp.zero(off, len, true); break;
      case 2: this->exp.zero(off, len, false); break;
      case 3: this->exp.trim(off, len); break;
    }
  }
  this->expect_sound();
}

}  // namespace
}  // namespace chaincheck::impl
