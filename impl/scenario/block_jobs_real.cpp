#include "impl/scenario/block_jobs_real.hpp"

#include <chrono>
#include <map>
#include <thread>

#include "impl/qemu_tools/qemu_img.hpp"
#include "impl/servers/storage_daemon.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;
using nlohmann::json;

namespace {

constexpr std::chrono::seconds kJobTimeout{120};

std::string format_of(const ImageFormats& formats, const std::string& name) {
  auto it = formats.find(name);
  return to_string(it == formats.end() ? ImageFormat::Raw : it->second);
}

// Adds `image`'s chain as its headers name it (qemu-img info --backing-chain), bottom first;
// node "L<i>" is the i-th layer from the top, its file node "L<i>-file". Returns the node
// name of every image of the chain.
std::map<std::string, std::string> add_chain(StorageDaemon& qsd, const Workspace& ws, const ImageFormats& formats,
                                             const std::string& image) {
  QemuImg img(ws.path());
  std::vector<ImageInfo> chain = img.info_chain(ImageRef::file(image, format_of(formats, image)));
  std::map<std::string, std::string> nodes;
  for (std::size_t i = chain.size(); i-- > 0;) {
    std::string name = std::filesystem::path(chain[i].filename).filename().string();
    std::string node = "L" + std::to_string(i);
    qsd.blockdev_add({{"driver", "file"}, {"filename", name}, {"node-name", node + "-file"}});
    json fmt = {{"driver", chain[i].format}, {"file", node + "-file"}, {"node-name", node}};
    if (chain[i].format == "qcow2") fmt["backing"] = i + 1 < chain.size() ? json("L" + std::to_string(i + 1)) : json(nullptr);
    qsd.blockdev_add(fmt);
    nodes[name] = node;
  }
  return nodes;
}

std::string node_of(const std::map<std::string, std::string>& nodes, const std::string& image) {
  auto it = nodes.find(image);
  // Not in the chain: QEMU is told a name it does not know, and says so.
  return it == nodes.end() ? image : it->second;
}

// Starts the job and waits for its end: BLOCK_JOB_COMPLETED (with "error" when it failed),
// then JOB_STATUS_CHANGE "null" (auto-dismiss, the QMP default).
void run_job(StorageDaemon& qsd, const std::string& command, const json& arguments) {
  qsd.execute(command, arguments);
  auto done = qsd.qmp().wait_event("BLOCK_JOB_COMPLETED", kJobTimeout);
  if (!done) throw ToolError(command + ": no BLOCK_JOB_COMPLETED within " + std::to_string(kJobTimeout.count()) + " s");
  const json& data = (*done)["data"];
  if (data.contains("error")) throw ToolError(command + ": " + data["error"].get<std::string>());
  for (;;) {
    auto ev = qsd.qmp().wait_event("JOB_STATUS_CHANGE", std::chrono::seconds(10));
    if (!ev) throw ToolError(command + ": the job was not dismissed");
    if ((*ev)["data"].value("status", "") == "null") break;
  }
}

// An active commit (a mirror job): it reports READY once source and target read alike
// (JOB_STATUS_CHANGE "ready"), then block-job-complete pivots it (mirror_complete) and it
// ends like any job. A job that fails before it is ready concludes without "ready".
void run_active_job(StorageDaemon& qsd, const json& arguments) {
  qsd.execute("block-commit", arguments);
  for (;;) {
    auto ev = qsd.qmp().wait_event("JOB_STATUS_CHANGE", kJobTimeout);
    if (!ev) throw ToolError("block-commit: the active commit neither became ready nor concluded within " +
                             std::to_string(kJobTimeout.count()) + " s");
    const std::string status = (*ev)["data"].value("status", "");
    if (status == "ready") {
      qsd.execute("block-job-complete", {{"device", arguments["job-id"]}});
      break;
    }
    if (status == "concluded" || status == "aborting") break;
  }
  auto done = qsd.qmp().wait_event("BLOCK_JOB_COMPLETED", kJobTimeout);
  if (!done) throw ToolError("block-commit: no BLOCK_JOB_COMPLETED within " + std::to_string(kJobTimeout.count()) + " s");
  const json& data = (*done)["data"];
  if (data.contains("error")) throw ToolError("block-commit: " + data["error"].get<std::string>());
  for (;;) {
    auto ev = qsd.qmp().wait_event("JOB_STATUS_CHANGE", std::chrono::seconds(10));
    if (!ev) throw ToolError("block-commit: the job was not dismissed");
    if ((*ev)["data"].value("status", "") == "null") break;
  }
}

}  // namespace

bool realize_job_step(const Step& step, const Workspace& ws, const ImageFormats& formats) {
  auto* st = std::get_if<StreamStep>(&step);
  auto* bc = std::get_if<BlockCommitStep>(&step);
  if (!st && !bc) return false;
  StorageDaemonOptions options;
  options.working_dir = ws.path();
  StorageDaemon qsd(options);
  try {
    if (st) {
      auto nodes = add_chain(qsd, ws, formats, st->options.image);
      json args = {{"job-id", "job0"}, {"device", node_of(nodes, st->options.image)}};
      if (st->options.base) args["base-node"] = node_of(nodes, *st->options.base);
      run_job(qsd, "block-stream", args);
    } else {
      auto nodes = add_chain(qsd, ws, formats, bc->options.overlay);
      json args = {{"job-id", "job0"},
                   {"device", node_of(nodes, bc->options.overlay)},
                   {"top-node", node_of(nodes, bc->options.top)}};
      if (bc->options.base) args["base-node"] = node_of(nodes, *bc->options.base);
      if (bc->options.top == bc->options.overlay)
        run_active_job(qsd, args);
      else
        run_job(qsd, "block-commit", args);
    }
  } catch (const ToolError& e) {
    // A daemon that died mid-job (e.g. an assertion, KF-035) says why in its log.
    // A closed connection may come just before the process ends: give it a moment.
    for (int i = 0; i < 50 && qsd.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::string why = qsd.running() ? std::string() : "; qemu-storage-daemon died: " + qsd.log_tail();
    qsd.quit();
    throw ToolError(e.what() + why);
  }
  qsd.quit();
  return true;
}

}  // namespace chaincheck::impl
