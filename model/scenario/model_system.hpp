// The model standing in as a system under test: predictions in the observation form.
#pragma once

#include "model/scenario/observation.hpp"

namespace chaincheck::model {

// Test-only switches that make the model deliberately wrong, so tests can prove the
// campaign finds and minimises a divergence. Never set outside tests.
struct ModelFaults {
  bool filters_add_depth = false;  // count filter nodes in allocation depth (QEMU 7.2 style)
  bool zero_hides_hole = false;    // report ZERO clusters as not HOLE in base:allocation
};

class ModelSystem : public SystemUnderTest {
 public:
  explicit ModelSystem(ModelFaults faults = {}) : faults_(faults) {}
  std::string name() const override { return "model"; }
  Observation run(const Scenario& scenario) override;

  // The state after the last run (for pictures and reproducers).
  const ModelState& state() const { return state_; }

 private:
  ModelFaults faults_;
  ModelState state_;
};

// Apply one step to a model state; the error text when the model refuses it.
std::string apply_step(ModelState& s, const Step& step);

// The export's first layer (through filters) when it is a qcow2 image and no raw window
// shifts offsets: its image index, else -1.
int layout_image(const ModelState& s, const GraphSpec& export_graph);

// The prediction for the export of a state (what ModelSystem::run returns after the steps).
Observation predict(const ModelState& s, const Scenario& scenario, ModelFaults faults = {});

}  // namespace chaincheck::model
