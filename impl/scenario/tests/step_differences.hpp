// Runs scenario steps on the model and on the real tools, one at a time, and compares every
// layer afterwards (impl/scenario/layer_check): the core of the chain-operation and block-job
// live tests.
#pragma once

#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/scenario/layer_check.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "model/model_system.hpp"

namespace chaincheck::impl {

using namespace chaincheck::model;

// Runs the steps on the model and on the real tools; returns what differs (empty: agree).
// With `before_last`, the layers are first compared before the last step too, and what
// differs there is put in *before_last (the chain operation is then not to blame).
inline std::vector<std::string> differences(const std::vector<Step>& steps, LayerCheck check = {},
                                     std::vector<std::string>* before_last = nullptr) {
  Workspace ws;
  ImageFormats formats;
  ModelState s;
  s.host = measure_host_fs();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (before_last && i + 1 == steps.size()) {
      *before_last = compare_layers(s, ws, formats, check);
      if (!before_last->empty()) return out;
    }
    Scenario one;
    one.steps = {steps[i]};
    std::string real_error = realize_steps(one, ws, formats).at(0);
    std::string model_error = apply_step(s, steps[i]);
    if (model_error.empty() != real_error.empty())
      out.push_back("step " + describe(steps[i]) + ": model '" + model_error + "', real '" + real_error + "'");
  }
  if (!out.empty()) return out;
  return compare_layers(s, ws, formats, check);
}

// KF-035: block-stream into an extended-L2 top aborts qemu-storage-daemon (the KF-031
// assertion in bdrv_co_do_copy_on_readv); the model keeps the intended result.
inline bool hits_kf035(const std::vector<std::string>& diffs) {
  for (const auto& d : diffs)
    if (d.find("block-stream") != std::string::npos && d.find("skip_bytes < pnum") != std::string::npos) return true;
  return false;
}

}  // namespace chaincheck::impl
