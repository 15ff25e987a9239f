// A scenario step for a qemu-storage-daemon session on one qcow2 image: QMP
// block-dirty-bitmap-add/remove/clear/enable/disable/merge in order, then quit. The
// commands' effects and the quit rule are model/semantics/runtime_bitmaps.hpp; this is the step's
// JSON form, description, model application and the QMP commands that run it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/semantics/runtime_bitmaps.hpp"

namespace chaincheck::model {

struct RuntimeBitmapStep {
  std::string image;                  // the qcow2 image the daemon opens (backing: null)
  std::vector<RuntimeBitmapOp> ops;   // every op's image (and merge source images) is `image`
};

// "qsd t.qcow2: add q0 persistent g=65536; merge q1 <- q0; quit"
std::string describe(const RuntimeBitmapStep& s);

// The QMP command for one op on node `node` (execute + arguments); merge sources as names.
nlohmann::json qmp_command(const RuntimeBitmapOp& op, const std::string& node);

// How one refused command reads in the step's error: "block-dirty-bitmap-KIND NAME: WHY".
std::string command_error(const RuntimeBitmapOp& op, const std::string& why);

// A session goes on after a refused command, as a QMP monitor does: the step's error lists
// every refused command ("; " between), empty when all succeeded. An image that is not a
// qcow2 image the scenario made cannot be opened: one error, nothing runs.
std::optional<OpError> apply_runtime_bitmap_step(ModelState& s, const RuntimeBitmapStep& step);

// {"image": ..., "commands": [{"add": NAME, "granularity"?, "persistent"?, "disabled"?},
//  {"remove"|"clear"|"enable"|"disable": NAME}, {"merge": TARGET, "bitmaps": [NAME...]}]}
nlohmann::json to_json(const RuntimeBitmapStep& s);
// `body` is the object under "qmp-bitmaps"; errors (a ScenarioError) name `path`.
RuntimeBitmapStep runtime_bitmap_step_from_json(const nlohmann::json& body, const std::string& path);

std::vector<std::string> images_named(const RuntimeBitmapStep& s);

}  // namespace chaincheck::model
