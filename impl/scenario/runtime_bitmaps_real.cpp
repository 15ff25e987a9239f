#include "impl/scenario/runtime_bitmaps_real.hpp"

#include <chrono>
#include <thread>

#include "impl/servers/storage_daemon.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;
using nlohmann::json;

namespace {

std::string died(StorageDaemon& qsd) {
  for (int i = 0; i < 50 && qsd.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return qsd.running() ? std::string() : "; qemu-storage-daemon died: " + qsd.log_tail();
}

}  // namespace

bool realize_runtime_bitmap_step(const Step& step, const Workspace& ws) {
  auto* rb = std::get_if<RuntimeBitmapStep>(&step);
  if (!rb) return false;
  StorageDaemonOptions options;
  options.working_dir = ws.path();
  StorageDaemon qsd(options);
  std::string errors;
  try {
    bool opened = true;
    try {
      qsd.blockdev_add({{"driver", "qcow2"},
                        {"node-name", "top"},
                        {"file", {{"driver", "file"}, {"filename", rb->image}}},
                        {"backing", nullptr}});
    } catch (const QmpError& e) {
      errors = "blockdev-add: " + e.desc();
      opened = false;
    }
    for (std::size_t i = 0; opened && i < rb->ops.size(); ++i) {
      json cmd = qmp_command(rb->ops[i], "top");
      try {
        qsd.execute(cmd["execute"].get<std::string>(), cmd["arguments"]);
      } catch (const QmpError& e) {
        errors += (errors.empty() ? "" : "; ") + command_error(rb->ops[i], e.desc());
      }
    }
  } catch (const ToolError& e) {
    // No reply at all: the daemon may have died (its log says why).
    std::string why = died(qsd);
    qsd.quit();
    throw ToolError(e.what() + why);
  }
  qsd.quit();
  if (!errors.empty()) throw ToolError(errors);
  return true;
}

}  // namespace chaincheck::impl
