// The minimiser and qmp-bitmaps sessions: a session can be dropped like any step, and the
// layer a session names is not dropped from under it.
#include <gtest/gtest.h>

#include <algorithm>

#include "oracle/minimize.hpp"

namespace chaincheck::oracle {
namespace {

using namespace chaincheck::model;

TEST(MinimizerQmpBitmaps, DropsASessionButNotTheLayerItNames) {
  CreateOptions base{.name = "l0.qcow2", .format = ImageFormat::Qcow2, .size = 65536};
  CreateOptions top{.name = "l1.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "l0.qcow2";
  top.backing_format = ImageFormat::Qcow2;
  RuntimeBitmapOp add;
  add.name = "q0";
  add.persistent = true;
  Scenario s;
  s.steps = {CreateStep{base}, CreateStep{top}, RuntimeBitmapStep{"l0.qcow2", {add}}};
  s.export_spec = ExportSpec{GraphSpec::of_image("l1.qcow2")};
  auto has_session = [](const Scenario& c) {
    return std::any_of(c.steps.begin(), c.steps.end(),
                       [](const Step& st) { return std::holds_alternative<RuntimeBitmapStep>(st); });
  };
  auto creates = [](const Scenario& c, const std::string& name) {
    return std::any_of(c.steps.begin(), c.steps.end(), [&](const Step& st) {
      auto* cs = std::get_if<CreateStep>(&st);
      return cs && cs->options.name == name;
    });
  };
  bool dropped_session = false;
  for (const Scenario& c : simplifications(s)) {
    dropped_session |= !has_session(c) && c.steps.size() == 2;
    if (has_session(c)) { EXPECT_TRUE(creates(c, "l0.qcow2")); }
  }
  EXPECT_TRUE(dropped_session);
}

}  // namespace
}  // namespace chaincheck::oracle
