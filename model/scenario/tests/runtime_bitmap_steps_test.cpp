// A qemu-storage-daemon session of QMP bitmap commands as a scenario step
// (model/scenario/runtime_bitmap_steps.hpp): the commands in order, refused ones listed, and at
// quit only the persistent bitmaps stay; its JSON form; the generator's sessions.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/scenario/model_system.hpp"
#include "model/generate/scenario_generator.hpp"
#include "model/scenario/scenario_json.hpp"

namespace chaincheck::model {
namespace {

Scenario session(const std::string& commands, const std::string& compat = "1.1", const std::string& format = "qcow2") {
  std::string fmt = format == "qcow2" ? R"(, "compat": ")" + compat + "\"" : "";
  return scenario_from_text(R"({"steps": [
    {"create": {"name": "t.img", "format": ")" + format + R"(", "size": 1048576)" + fmt + R"(}},
    {"qmp-bitmaps": {"image": "t.img", "commands": )" + commands + R"(}},
    {"io": {"image": "t.img", "op": "write", "offset": 0, "length": 4096, "pattern": 1}}]})");
}

std::vector<DirtyBitmap> bitmaps_after(const Scenario& sc, std::vector<std::string>* errors = nullptr) {
  ModelState s;
  for (const Step& st : sc.steps) {
    std::string err = apply_step(s, st);
    if (errors) errors->push_back(err);
  }
  int i = s.find("t.img");
  if (i < 0 || s.image(i).format() != ImageFormat::Qcow2) return {};
  return s.image(i).qcow2().bitmaps;
}

TEST(RuntimeBitmapStep, OnlyPersistentBitmapsOutliveTheSessionAndLaterWritesMarkTheEnabledOnes) {
  auto b = bitmaps_after(session(R"([{"add": "mem"}, {"add": "on", "persistent": true, "granularity": 4096},
                                     {"add": "off", "persistent": true, "disabled": true}])"));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].name, "on");
  EXPECT_EQ(b[0].granularity, 4096u);
  EXPECT_TRUE(b[0].dirty.at(0).value);
  EXPECT_EQ(b[1].name, "off");
  EXPECT_FALSE(b[1].enabled);
  EXPECT_FALSE(b[1].dirty.at(0).value);
}

TEST(RuntimeBitmapStep, ARefusedCommandIsListedAndTheSessionGoesOn) {
  std::vector<std::string> errors;
  auto b = bitmaps_after(session(R"([{"add": "p", "persistent": true}, {"clear": "missing"}, {"add": "p"},
                                     {"disable": "p"}])"), &errors);
  EXPECT_EQ(errors.at(1),
            "block-dirty-bitmap-clear missing: Dirty bitmap 'missing' not found; block-dirty-bitmap-add p: Bitmap already exists: p");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_FALSE(b[0].enabled);  // the disable after the refusals ran
}

TEST(RuntimeBitmapStep, MergeUsesBitmapsOfTheSessionsImageBeforeTheyVanish) {
  Scenario sc = scenario_from_text(R"({"steps": [
    {"create": {"name": "t.img", "format": "qcow2", "size": 1048576}},
    {"qmp-bitmaps": {"image": "t.img", "commands": [{"add": "mem", "granularity": 512}]}},
    {"io": {"image": "t.img", "op": "write", "offset": 0, "length": 512, "pattern": 1}},
    {"qmp-bitmaps": {"image": "t.img", "commands": [{"add": "mem", "granularity": 512},
       {"add": "keep", "persistent": true, "disabled": true}, {"add": "src", "persistent": true}, {"merge": "keep", "bitmaps": ["mem"]}]}}]})");
  std::vector<std::string> errors;
  auto b = bitmaps_after(sc, &errors);
  for (const auto& e : errors) EXPECT_EQ(e, "");
  // The first session's "mem" vanished at its quit, so the second could add it again; it
  // saw no write, so the merge marks nothing.
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].name, "keep");
  EXPECT_FALSE(b[0].dirty.at(0).value);
}

TEST(RuntimeBitmapStep, ACompat010ImageRefusesPersistentBitmapsOnly) {
  std::vector<std::string> errors;
  auto b = bitmaps_after(session(R"([{"add": "mem"}, {"add": "p", "persistent": true}])", "0.10"), &errors);
  EXPECT_NE(errors.at(1).find("block-dirty-bitmap-add p: Cannot store dirty bitmaps in qcow2 v2 files"), std::string::npos)
      << errors.at(1);
  EXPECT_EQ(errors.at(1).find("mem"), std::string::npos);
  EXPECT_TRUE(b.empty());
}

TEST(RuntimeBitmapStep, AnImageThatIsNotQcow2RefusesTheWholeSession) {
  std::vector<std::string> errors;
  bitmaps_after(session(R"([{"add": "mem"}])", "", "raw"), &errors);
  EXPECT_NE(errors.at(1).find("not in qcow2 format"), std::string::npos) << errors.at(1);
}

TEST(RuntimeBitmapStep, JsonRoundTripsAndDescribesTheSession) {
  Scenario sc = session(R"([{"add": "a", "persistent": true, "granularity": 65536, "disabled": true}, {"remove": "a"},
                            {"clear": "b"}, {"enable": "b"}, {"disable": "b"}, {"merge": "b", "bitmaps": ["a", "c"]}])");
  Scenario again = scenario_from_json(to_json(sc));
  EXPECT_EQ(to_json(again), to_json(sc));
  const auto& st = std::get<RuntimeBitmapStep>(again.steps.at(1));
  ASSERT_EQ(st.ops.size(), 6u);
  EXPECT_EQ(st.ops[5].sources.at(1), std::make_pair(std::string("t.img"), std::string("c")));
  EXPECT_EQ(describe(again.steps.at(1)),
            "qsd t.img: add a persistent disabled g=65536; remove a; clear b; enable b; disable b; merge b <- a c; quit");
  nlohmann::json add = qmp_command(st.ops[0], "top");
  EXPECT_EQ(add["execute"], "block-dirty-bitmap-add");
  EXPECT_EQ(add["arguments"], (nlohmann::json{{"node", "top"}, {"name", "a"}, {"granularity", 65536},
                                               {"persistent", true}, {"disabled", true}}));
  EXPECT_EQ(qmp_command(st.ops[5], "top")["arguments"],
            (nlohmann::json{{"node", "top"}, {"target", "b"}, {"bitmaps", {"a", "c"}}}));
}

TEST(RuntimeBitmapStep, BadJsonNamesTheField) {
  auto error_of = [](const std::string& commands) {
    try {
      session(commands);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error_of(R"([{"add": "a", "persistent": 1}])"), "steps[1].qmp-bitmaps.commands[0].persistent: expected true or false");
  EXPECT_EQ(error_of(R"([{"merge": "a"}])"), "steps[1].qmp-bitmaps.commands[0].bitmaps: missing");
  EXPECT_EQ(error_of(R"([{"add": "a", "remove": "a"}])"), "steps[1].qmp-bitmaps.commands[0]: one command per entry");
  EXPECT_EQ(error_of(R"([{"frob": "a"}])"),
            "steps[1].qmp-bitmaps.commands[0]: expected one of add, remove, clear, enable, disable, merge");
  EXPECT_EQ(error_of(R"([{"add": "a", "granularity": 8589934592}])"),
            "steps[1].qmp-bitmaps.commands[0].granularity: expected a 32-bit unsigned integer");
  EXPECT_EQ(error_of(R"([{"clear": "a", "granularity": 512}])"), "steps[1].qmp-bitmaps.commands[0].granularity: unknown field");
}

// The campaign generator adds sessions now and then; what it exports of them is found by
// the export after every step, and some of them survive to be exported.
TEST(RuntimeBitmapGenerator, SomeScenariosGetASessionWhosePersistentBitmapsAreExported) {
  unsigned sessions = 0, exported = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    RandomChooser c(seed);
    Scenario sc = generate_scenario(c);
    bool has = std::any_of(sc.steps.begin(), sc.steps.end(),
                           [](const Step& st) { return std::holds_alternative<RuntimeBitmapStep>(st); });
    if (!has) continue;
    ++sessions;
    if (sc.export_spec)
      exported += static_cast<unsigned>(std::count_if(sc.export_spec->bitmaps.begin(), sc.export_spec->bitmaps.end(),
                                                      [](const std::string& n) { return n[0] == 'q'; }));
    ModelSystem m;
    Observation o = m.run(sc);
    if (o.nbd) { EXPECT_EQ(o.nbd->error.find("not found"), std::string::npos) << "seed " << seed << ": " << o.nbd->error; }
    GeneratorConfig off;
    off.runtime_bitmaps = false;
    RandomChooser c2(seed);
    Scenario without = generate_scenario(c2, off);
    EXPECT_LT(without.steps.size(), sc.steps.size()) << "seed " << seed;
  }
  EXPECT_GT(sessions, 10u);
  EXPECT_GT(exported, 0u);
}

}  // namespace
}  // namespace chaincheck::model
