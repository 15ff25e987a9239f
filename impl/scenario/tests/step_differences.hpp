// Runs scenario steps on the model and on the real tools, one at a time, and compares every
// layer afterwards (impl/scenario/layer_check): the core of the chain-operation and block-job
// live tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "impl/process/process.hpp"
#include "impl/scenario/layer_check.hpp"
#include "impl/scenario/qemu_system.hpp"
#include "model/generate/bitmap_generator.hpp"
#include "model/generate/chain_step_generator.hpp"
#include "model/scenario/model_system.hpp"
#include "model/generate/scenario_generator.hpp"

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

// Step builders for the chain-operation and block-job live tests.
inline model::CreateOptions qcow2(const std::string& name, std::optional<u64> size,
                                  std::optional<std::string> backing = {}, unsigned cluster_bits = 16,
                                  ImageFormat backing_format = ImageFormat::Qcow2) {
  model::CreateOptions o{.name = name, .format = ImageFormat::Qcow2, .size = size, .cluster_bits = cluster_bits};
  o.backing_file = backing;
  if (backing) o.backing_format = backing_format;
  return o;
}
inline Step create(model::CreateOptions o) { return CreateStep{std::move(o)}; }
inline Step raw(const std::string& name, u64 size) {
  return CreateStep{model::CreateOptions{.name = name, .format = ImageFormat::Raw, .size = size}};
}
inline Step write(const std::string& img, u64 off, u64 len, std::uint8_t p) {
  return IoStep{GraphSpec::of_image(img), {OpKind::Write, off, len, p, false}};
}
inline Step zero(const std::string& img, u64 off, u64 len, bool unmap = false) {
  return IoStep{GraphSpec::of_image(img), {OpKind::WriteZeroes, off, len, 0, unmap}};
}

// Every difference between model and real layers is one test failure.
#define EXPECT_AGREES(steps, ...)                                \
  do {                                                           \
    auto diffs = differences(steps __VA_OPT__(, ) __VA_ARGS__);  \
    for (const auto& d : diffs) ADD_FAILURE() << d;              \
  } while (0)

// The chains the chain-operation and block-job properties start from: up to three layers
// of at most 1 MiB, no filters, bitmaps or chain steps of the generator's own.
inline GeneratorConfig plain_chain_config() {
  GeneratorConfig cfg;
  cfg.max_layers = 3;
  cfg.max_ops_per_layer = 3;
  cfg.max_image_size = 1024 * 1024;
  cfg.filters = false;
  cfg.unaligned_raw = false;
  cfg.chain_operations = false;
  cfg.bitmaps = false;
  return cfg;
}

// Persistent bitmaps on some qcow2 layers (added right after each is created, so the
// layer's writes mark them) and, for a convert into qcow2, sometimes --bitmaps: the chain
// step or job then has bitmaps to keep, mark or copy (model/semantics/bitmap_effects.hpp). Call
// before the chain step is added; `after_step` after it.
inline void add_random_bitmaps(Chooser& c, Scenario& sc, const std::vector<GeneratedLayer>& layers) {
  for (std::size_t i = 0; i < layers.size(); ++i)
    if (layers[i].format == ImageFormat::Qcow2 && c.chance(50))
      add_layer_bitmaps(c, sc, layers[i].name, "b" + std::to_string(i) + "_");
}
inline void add_random_convert_bitmaps(Chooser& c, Scenario& sc) {
  if (auto* v = std::get_if<ConvertStep>(&sc.steps.back()))
    if (v->options.target_format == ImageFormat::Qcow2 && c.chance(50)) v->options.bitmaps = true;
}

// Each layer the steps create, with its guest length after them (what the step generators take).
inline std::vector<GeneratedLayer> generated_layers(const Scenario& sc) {
  ModelState state;
  std::vector<GeneratedLayer> layers;
  for (const Step& st : sc.steps) {
    apply_step(state, st);
    if (auto* c = std::get_if<CreateStep>(&st))
      layers.push_back({c->options.name, c->options.format, state.image(state.find(c->options.name)).guest_length()});
  }
  return layers;
}

}  // namespace chaincheck::impl
