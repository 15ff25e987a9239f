// The real QEMU stack as a system under test: a scenario realised with qemu-img and
// qemu-io inside a private workspace, the export served by one persistent qemu-nbd and
// queried through libnbd. Every program and server is reaped before run() returns.
#pragma once

#include <optional>

#include "model/scenario/observation.hpp"

namespace chaincheck::impl {

class QemuSystem : public model::SystemUnderTest {
 public:
  QemuSystem();
  std::string name() const override { return "qemu"; }
  model::Observation run(const model::Scenario& scenario) override;
  std::optional<model::HostFs> host() const override { return host_; }

 private:
  model::HostFs host_;
};

class Workspace;

// Realise a scenario's steps with qemu-img / qemu-io / truncate inside `ws`; one error text
// per step (empty when it succeeded). Fills `formats` with what was created.
std::vector<std::string> realize_steps(const model::Scenario& scenario, const Workspace& ws,
                                       std::map<std::string, model::ImageFormat>& formats);

// The host filesystem where workspaces live: SEEK_DATA granularity and whether
// fallocate(ZERO_RANGE/PUNCH_HOLE) leaves holes (measured once by probing a file).
model::HostFs measure_host_fs();

}  // namespace chaincheck::impl
