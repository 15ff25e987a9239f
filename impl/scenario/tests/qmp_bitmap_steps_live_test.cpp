// The qmp-bitmaps step (a qemu-storage-daemon session of QMP bitmap commands) on the real
// daemon against the model: the same commands refused with the same messages, the same
// bitmaps stored at quit (and marked by later writes), and generated scenarios with a
// session judged clean.
#include <gtest/gtest.h>

#include "impl/scenario/tests/step_differences.hpp"
#include "model/generate/runtime_bitmap_generator.hpp"
#include "model/scenario/scenario_json.hpp"
#include "oracle/campaign.hpp"
#include "oracle/registry.hpp"

namespace chaincheck::impl {
namespace {

constexpr u64 KiB = 1024;
using K = BitmapAction::Kind;

RuntimeBitmapOp add(const std::string& name, bool persistent, std::optional<u64> g = {}, bool disabled = false) {
  RuntimeBitmapOp op;
  op.name = name;
  op.persistent = persistent;
  op.granularity = g;
  op.disabled = disabled;
  return op;
}
RuntimeBitmapOp act(K kind, const std::string& name, std::vector<std::string> sources = {}) {
  RuntimeBitmapOp op;
  op.kind = kind;
  op.name = name;
  for (auto& s : sources) op.sources.emplace_back("", s);
  return op;
}

// Each step's error, model and real, side by side.
std::vector<std::pair<std::string, std::string>> step_errors(const std::vector<Step>& steps) {
  Workspace ws;
  ImageFormats formats;
  ModelState s;
  Scenario sc;
  sc.steps = steps;
  std::vector<std::string> real = realize_steps(sc, ws, formats);
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < steps.size(); ++i) out.emplace_back(apply_step(s, steps[i]), real.at(i));
  return out;
}

// The commands a step's error lists as refused ("block-dirty-bitmap-KIND NAME" each).
std::vector<std::string> refused(const std::string& error) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < error.size();) {
    std::size_t end = error.find("; ", at);
    std::string piece = error.substr(at, end == std::string::npos ? std::string::npos : end - at);
    out.push_back(piece.substr(0, piece.find(": ")));
    at = end == std::string::npos ? error.size() : end + 2;
  }
  return out;
}

std::vector<Step> session_steps(bool v3) {
  model::CreateOptions o = qcow2("t.qcow2", 1024 * KiB);
  o.v3 = v3;
  RuntimeBitmapStep first{"t.qcow2",
                          {add("mem", false, 4096), add("p", true, 65536), add("d", true, 512, true),
                           act(K::Clear, "missing"), add("p", false), act(K::Merge, "p", {"mem", "nope"}),
                           act(K::Disable, "mem")}};
  RuntimeBitmapStep second{"t.qcow2", {act(K::Enable, "mem"), add("mem", true), act(K::Merge, "d", {"p"}),
                                       act(K::Remove, "p"), add("g", false, 1000)}};
  return {create(o), write("t.qcow2", 0, 64 * KiB, 1), first, write("t.qcow2", 200 * KiB, 8 * KiB, 2),
          zero("t.qcow2", 600 * KiB, 4 * KiB), second, write("t.qcow2", 900 * KiB, 4 * KiB, 3)};
}

TEST(QmpBitmapStepLive, RefusedCommandsReadAsTheModelSaysAndStoredBitmapsMatchIt) {
  auto errors = step_errors(session_steps(true));
  for (const auto& [model, real] : errors) EXPECT_EQ(model, real);
  // The session went on after its refusals: every listed command is one of them.
  EXPECT_EQ(errors.at(2).second,
            "block-dirty-bitmap-clear missing: Dirty bitmap 'missing' not found; block-dirty-bitmap-add p: Bitmap "
            "already exists: p; block-dirty-bitmap-merge p: Dirty bitmap 'nope' not found");
  EXPECT_AGREES(session_steps(true));  // every layer, its on-disk bitmaps included
}

TEST(QmpBitmapStepLive, ACompat010ImageRefusesOnlyThePersistentAdds) {
  auto errors = step_errors(session_steps(false));
  // QMP prepends the node to the reason (qcow2_co_can_store_new_dirty_bitmap's
  // error_prepend); the model, which has no node names, says the reason alone.
  for (const auto& [model, real] : errors) EXPECT_EQ(refused(model), refused(real)) << model << "\n" << real;
  EXPECT_EQ(refused(errors.at(2).second),
            (std::vector<std::string>{"block-dirty-bitmap-add p", "block-dirty-bitmap-add d",
                                      "block-dirty-bitmap-clear missing", "block-dirty-bitmap-merge p"}));
  EXPECT_NE(errors.at(2).second.find("block-dirty-bitmap-add p: Can't make bitmap 'p' persistent in 'top': Cannot store dirty bitmaps in qcow2 v2 files"),
            std::string::npos)
      << errors.at(2).second;
  EXPECT_AGREES(session_steps(false));
}

TEST(QmpBitmapStepLive, ARawImageDoesNotOpenAsQcow2) {
  auto errors = step_errors({raw("r.raw", 1024 * KiB), RuntimeBitmapStep{"r.raw", {add("a", false)}}});
  EXPECT_FALSE(errors.at(1).first.empty());
  EXPECT_EQ(errors.at(1).first, errors.at(1).second);
}

// Generated chains with a session (forced; the campaign adds one now and then): the
// campaign's judge finds nothing new, the layers agree, and the session's bitmaps are
// exported when they outlive it. Bounded: 6 seeds.
TEST(QmpBitmapStepLive, GeneratedScenariosWithASessionAgreeWithTheModel) {
  static QemuSystem q;
  oracle::Registry reg = oracle::Registry::load(oracle::default_registry_dir());
  GeneratorConfig cfg = plain_chain_config();
  // Metadata preallocation's layers differ from the model before any session (their zero
  // areas on the host file system): the block-job properties skip those chains too.
  cfg.preallocation = false;
  unsigned exported = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    RandomChooser chooser(oracle::scenario_seed(23, seed));
    Scenario s = generate_scenario(chooser, cfg);
    add_runtime_bitmap_session(chooser, s);
    s.host = *q.host();
    std::string text = to_json(s).dump();
    oracle::ScenarioResult r = oracle::judge_scenario(s, q);
    ASSERT_TRUE(r.observed.error.empty()) << r.observed.error << "\n" << text;
    reg.classify(r.verdict.findings);
    for (const auto& f : r.verdict.findings) EXPECT_TRUE(f.known) << oracle::describe(f) << "\n" << text;
    if (s.export_spec)
      for (const auto& b : s.export_spec->bitmaps) exported += b[0] == 'q';
    for (const auto& d : differences(s.steps, LayerCheck{.raw_maps = false})) ADD_FAILURE() << d << "\n" << text;
  }
  EXPECT_GT(exported, 0u);
}

}  // namespace
}  // namespace chaincheck::impl
