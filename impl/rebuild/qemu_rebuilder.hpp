// The chain rebuild of seed 004 done for real: the scenario's images made with qemu-img /
// qemu-io, each layer exported alone by qemu-nbd (json: with "backing": null, -A) and
// queried through libnbd, a fresh qcow2 created with qemu-img on the rebuilt backing and
// written through a writable qemu-nbd export of it (NBD_CMD_WRITE / WRITE_ZEROES), then
// both chains read back over NBD and compared byte by byte.
#pragma once

#include "model/scenario/rebuild.hpp"

namespace chaincheck::impl {

class QemuRebuilder : public model::ChainRebuilder {
 public:
  QemuRebuilder();  // checks qemu-img, qemu-io and qemu-nbd are installed
  std::string name() const override { return "qemu"; }
  model::RebuildObservation rebuild(const model::Scenario& s,
                                    const std::vector<model::RebuildStrategy>& strategies,
                                    const model::RebuildTarget& target = {}) override;
};

}  // namespace chaincheck::impl
