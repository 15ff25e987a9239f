// Seed 004's chain as a scenario: base.raw = ABC-, top.qcow2 = -D0- (write -z at 128k).
#pragma once

#include "model/scenario/scenario.hpp"

namespace chaincheck::impl::testing {

inline model::Scenario seed004_rebuild_scenario() {
  using namespace chaincheck::model;
  Scenario s;
  s.name = "seed004-rebuild";
  CreateOptions base{.name = "base.raw", .format = ImageFormat::Raw, .size = 262144};
  CreateOptions top{.name = "top.qcow2", .format = ImageFormat::Qcow2};
  top.backing_file = "base.raw";
  top.backing_format = ImageFormat::Raw;
  s.steps = {CreateStep{base}, CreateStep{top},
             IoStep{GraphSpec::of_image("base.raw"), {OpKind::Write, 0, 65536, 65, false}},
             IoStep{GraphSpec::of_image("base.raw"), {OpKind::Write, 65536, 65536, 66, false}},
             IoStep{GraphSpec::of_image("base.raw"), {OpKind::Write, 131072, 65536, 67, false}},
             IoStep{GraphSpec::of_image("top.qcow2"), {OpKind::Write, 65536, 65536, 69, false}},
             IoStep{GraphSpec::of_image("top.qcow2"), {OpKind::WriteZeroes, 131072, 65536, 0, false}}};
  s.export_spec = ExportSpec{GraphSpec::of_image("top.qcow2")};
  s.queries = {Query::Content};
  return s;
}

}  // namespace chaincheck::impl::testing
