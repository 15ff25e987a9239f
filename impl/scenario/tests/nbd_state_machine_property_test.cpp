// A RapidCheck state machine: the model is chaincheck's model, the system under test a live
// writable qemu-nbd export of an overlay over a backing file. Guest writes, write-zeroes
// with and without NO_HOLE, trims, reads, block-status queries and no-op commands that can
// break a server (reconnecting, repeating a query, asking another context) — and after
// every command both NBD contexts and the bytes are checked against the model.
#include <gtest/gtest.h>
#include <libnbd.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <memory>
#include <set>
#include <sstream>

#include "impl/nbd/nbd_client.hpp"
#include "impl/process/process.hpp"
#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/scenario/nbd_observation.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "impl/servers/qemu_nbd_server.hpp"
#include "model/scenario/model_system.hpp"
#include "oracle/judge.hpp"

namespace chaincheck::impl {
namespace {

using namespace chaincheck::model;

constexpr u64 kSize = 512 * 1024;
constexpr u64 kCluster = 64 * 1024;

// The model side: the state after the set-up steps, and the export graph.
struct ChainModel {
  ModelState state;
  Scenario setup;
};

// The system side: the images, one persistent qemu-nbd, one libnbd client.
struct LiveExport {
  Workspace ws;
  std::unique_ptr<QemuNbdServer> server;
  std::unique_ptr<NbdClient> client;
  mutable std::set<std::string> kinds;  // which commands a sequence ran (RC_CLASSIFY)

  void start_server() {
    server.reset();  // the old qemu-nbd is stopped and reaped first: one writer at a time
    QemuNbdOptions o;
    o.allocation_depth = true;
    o.discard = "unmap";
    o.working_dir = ws.path();
    server = std::make_unique<QemuNbdServer>(QemuNbdImage::file("top.qcow2", "qcow2"), o);
  }
  void connect() {
    client = std::make_unique<NbdClient>();
    client->request_meta_context("base:allocation");
    client->request_meta_context("qemu:allocation-depth");
    client->connect_unix(server->socket());
  }
};

Scenario setup_scenario() {
  Scenario s;
  model::CreateOptions base{.name = "base.qcow2", .format = ImageFormat::Qcow2, .size = kSize};
  model::CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "base.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  s.steps = {CreateStep{base}, CreateStep{top},
             IoStep{GraphSpec::of_image("base.qcow2"), {OpKind::Write, 0, 3 * kCluster, 0x41, false}},
             IoStep{GraphSpec::of_image("base.qcow2"), {OpKind::WriteZeroes, 4 * kCluster, kCluster, 0, false}}};
  s.export_spec = ExportSpec{GraphSpec::of_image("top.qcow2")};
  s.queries = {Query::BaseAllocation, Query::AllocationDepth, Query::Content};
  return s;
}

// Compare the export with the model: both contexts and every byte.
void check_export(const ChainModel& m, LiveExport& sut) {
  Observation predicted = predict(m.state, m.setup);
  Observation observed;
  observed.nbd = observe_block_status(*sut.client);
  RC_ASSERT(observed.nbd->error.empty());
  observed.content = read_runs(*sut.client, kSize);
  oracle::Verdict v = oracle::judge(predicted, observed, {"top.qcow2 > base.qcow2", 2, "state machine"});
  for (const auto& f : v.findings) RC_LOG() << oracle::describe(f) << " expected " << f.expected << " observed " << f.observed << "\n";
  RC_ASSERT(v.findings.empty());
}

using Command = rc::state::Command<ChainModel, LiveExport>;

// Offsets and lengths biased to cluster, 4 KiB and 512-byte boundaries, and to the end.
u64 boundary_offset() {
  u64 unit = *rc::gen::element(u64{kCluster}, u64{4096}, u64{512});
  u64 v = *rc::gen::inRange<u64>(0, kSize / unit) * unit;
  if (*rc::gen::inRange(0, 5) == 0) v += *rc::gen::element(u64{512}, u64{1});
  return std::min(v, kSize - 512);
}
u64 boundary_length(u64 off) {
  u64 unit = *rc::gen::element(u64{kCluster}, u64{4096}, u64{512});
  u64 len = *rc::gen::inRange<u64>(1, 5) * unit;
  return std::min(len, kSize - off);
}

struct Write : Command {
  u64 off = boundary_offset(), len = boundary_length(off);
  std::uint8_t pattern = *rc::gen::inRange<std::uint8_t>(1, 255);
  void apply(ChainModel& m) const override {
    model::apply(m.state, build_graph(m.state, m.setup.export_spec->graph), {OpKind::Write, off, len, pattern, false});
  }
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("write");
    sut.client->pwrite(off, std::vector<std::uint8_t>(len, pattern));
    check_export(nextState(m), sut);
  }
  void show(std::ostream& os) const override {
    os << "qemu-io -f qcow2 -c 'write -P " << int(pattern) << " " << off << " " << len << "' top.qcow2";
  }
};

struct Zero : Command {
  u64 off = boundary_offset(), len = boundary_length(off);
  bool no_hole = *rc::gen::arbitrary<bool>();
  void apply(ChainModel& m) const override {
    // Without NO_HOLE the server passes BDRV_REQ_MAY_UNMAP (nbd/server.c).
    model::apply(m.state, build_graph(m.state, m.setup.export_spec->graph),
                 {OpKind::WriteZeroes, off, len, 0, !no_hole}, OpenOptions{true});
  }
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert(no_hole ? "zero-no-hole" : "zero-may-unmap");
    sut.client->zero(off, len, no_hole ? LIBNBD_CMD_FLAG_NO_HOLE : 0);
    check_export(nextState(m), sut);
  }
  void show(std::ostream& os) const override {
    os << "qemu-io -f qcow2 -c 'write -z" << (no_hole ? "" : " -u") << " " << off << " " << len << "' top.qcow2";
  }
};

struct Trim : Command {
  u64 off = boundary_offset(), len = boundary_length(off);
  void apply(ChainModel& m) const override {
    model::apply(m.state, build_graph(m.state, m.setup.export_spec->graph), {OpKind::Discard, off, len, 0, false},
                 OpenOptions{true});
  }
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("trim");
    sut.client->trim(off, len);
    check_export(nextState(m), sut);
  }
  void show(std::ostream& os) const override { os << "qemu-io -f qcow2 -c 'discard " << off << " " << len << "' top.qcow2"; }
};

// Commands that change nothing in the model but have broken servers before.
struct Reconnect : Command {
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("reconnect");
    sut.client->disconnect();
    sut.connect();
    check_export(m, sut);
  }
  void show(std::ostream& os) const override { os << "# reconnect the NBD client"; }
};

struct QueryTwice : Command {
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("query-twice");
    check_export(m, sut);
    check_export(m, sut);
  }
  void show(std::ostream& os) const override { os << "nbdinfo --map nbd://localhost   # twice"; }
};

struct OtherContextOnly : Command {
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("other-context");
    NbdClient depth_only;
    depth_only.request_meta_context("qemu:allocation-depth");
    depth_only.connect_unix(sut.server->socket());
    RC_ASSERT(depth_only.block_status_full(0, kSize).error.empty());
    depth_only.disconnect();
    check_export(m, sut);
  }
  void show(std::ostream& os) const override { os << "nbdinfo --map=qemu:allocation-depth nbd://localhost"; }
};

// qemu-img map of the overlay while the export is live (flushed first, -U to share the
// image): QEMU's offline view must agree with the model too.
struct ImgMapWhileServing : Command {
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("img-map");
    sut.client->flush();
    QemuImg img(sut.ws.path());
    Scenario s = m.setup;
    s.queries = {Query::ImgMap};
    Observation predicted = predict(m.state, s), observed;
    std::vector<model::MapEntry> entries;
    for (const auto& e : img.map(ImageRef::file("top.qcow2", "qcow2"), {}, /*force_share=*/true))
      entries.push_back({e.start, e.length, e.depth, e.present, e.zero, e.data, e.offset});
    observed.img_map = entries;
    oracle::Verdict v = oracle::judge(predicted, observed, {});
    for (const auto& f : v.findings) RC_LOG() << oracle::describe(f) << " expected " << f.expected << " observed " << f.observed << "\n";
    RC_ASSERT(v.findings.empty());
  }
  void show(std::ostream& os) const override { os << "qemu-img map --output=json -U -f qcow2 top.qcow2"; }
};

// Stop qemu-nbd (SIGTERM: it closes the image cleanly) and start it again on the same
// images: nothing the guest wrote may be lost or change its status.
struct RestartServer : Command {
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("restart");
    sut.client->disconnect();
    sut.client.reset();
    sut.start_server();
    sut.connect();
    check_export(m, sut);
  }
  void show(std::ostream& os) const override { os << "# restart qemu-nbd on the same images"; }
};

// qemu-img check and info on the images while the export is open (flushed first, -U):
// no corruption or leak, and the chain is what was created.
struct ImgCheckWhileServing : Command {
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("img-check");
    sut.client->flush();
    QemuImg img(sut.ws.path());
    for (const char* name : {"top.qcow2", "base.qcow2"}) {
      CheckResult r = img.check(ImageRef::file(name, "qcow2"), /*force_share=*/true);
      RC_LOG() << "qemu-img check " << name << ": exit " << r.exit_code << " " << r.json << "\n";
      RC_ASSERT(r.clean());
    }
    check_export(m, sut);
  }
  void show(std::ostream& os) const override {
    os << "qemu-img check -U -f qcow2 top.qcow2\nqemu-img check -U -f qcow2 base.qcow2";
  }
};

struct ImgInfoWhileServing : Command {
  void run(const ChainModel& m, LiveExport& sut) const override {
    sut.kinds.insert("img-info");
    QemuImg img(sut.ws.path());
    std::vector<ImageInfo> chain = img.info_chain(ImageRef::file("top.qcow2", "qcow2"), /*force_share=*/true);
    RC_ASSERT(chain.size() == 2u);
    RC_ASSERT(chain[0].virtual_size == kSize);
    RC_ASSERT(chain[0].backing_filename == std::optional<std::string>("base.qcow2"));
    RC_ASSERT(chain[1].format == std::string("qcow2"));
    RC_ASSERT(chain[1].virtual_size == kSize);
    check_export(m, sut);
  }
  void show(std::ostream& os) const override { os << "qemu-img info -U --backing-chain -f qcow2 top.qcow2"; }
};

// Weighted choice written by hand: the index shrinks toward 0, the simplest command.
rc::Gen<std::shared_ptr<const Command>> next_command(const ChainModel&) {
  return rc::gen::exec([]() -> std::shared_ptr<const Command> {
    // Full-size pick (inRange scales with size, which would starve the later commands);
    // it still shrinks toward 0.
    int pick = *rc::gen::resize(100, rc::gen::inRange(0, 100));
    std::shared_ptr<const Command> c;
    if (pick < 8) c = std::make_shared<QueryTwice>();
    else if (pick < 40) c = std::make_shared<Write>();
    else if (pick < 70) c = std::make_shared<Zero>();
    else if (pick < 84) c = std::make_shared<Trim>();
    else if (pick < 88) c = std::make_shared<Reconnect>();
    else if (pick < 91) c = std::make_shared<OtherContextOnly>();
    else if (pick < 94) c = std::make_shared<ImgMapWhileServing>();
    else if (pick < 96) c = std::make_shared<ImgInfoWhileServing>();
    else if (pick < 98) c = std::make_shared<ImgCheckWhileServing>();
    else c = std::make_shared<RestartServer>();
    return c;
  });
}

RC_GTEST_PROP(NbdStateMachine, LiveWritableExportFollowsTheModel, ()) {
  ChainModel m;
  m.setup = setup_scenario();
  m.setup.host = measure_host_fs();
  m.state.host = m.setup.host;
  for (const Step& st : m.setup.steps) RC_ASSERT(apply_step(m.state, st).empty());

  LiveExport sut;
  std::map<std::string, ImageFormat> formats;
  for (const auto& e : realize_steps(m.setup, sut.ws, formats)) RC_ASSERT(e.empty());
  sut.start_server();
  sut.connect();
  check_export(m, sut);

  RC_LOG() << "# set-up (chaincheck repro transcript):\n"
           << "qemu-img create -f qcow2 base.qcow2 " << kSize << "\n"
           << "qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2\n"
           << "qemu-io -f qcow2 -c 'write -P 65 0 " << 3 * kCluster << "' -c 'write -z " << 4 * kCluster << " "
           << kCluster << "' base.qcow2\n# then the commands below, then:\n"
           << "qemu-nbd -r -t -A -f qcow2 top.qcow2 &\nnbdinfo --map nbd://localhost\n";
  rc::state::check(m, sut, next_command);
  sut.client->disconnect();
  RC_CLASSIFY(sut.kinds.count("write"), "write");
  RC_CLASSIFY(sut.kinds.count("zero-no-hole"), "zero NO_HOLE");
  RC_CLASSIFY(sut.kinds.count("zero-may-unmap"), "zero MAY_UNMAP");
  RC_CLASSIFY(sut.kinds.count("trim"), "trim");
  RC_CLASSIFY(sut.kinds.count("restart"), "restart");
  RC_CLASSIFY(sut.kinds.count("reconnect") || sut.kinds.count("query-twice") || sut.kinds.count("other-context"),
              "reconnect/repeat/other context");
  RC_CLASSIFY(sut.kinds.count("img-map"), "qemu-img map");
  RC_CLASSIFY(sut.kinds.count("img-check") || sut.kinds.count("img-info"), "qemu-img check/info");

}

}  // namespace
}  // namespace chaincheck::impl
