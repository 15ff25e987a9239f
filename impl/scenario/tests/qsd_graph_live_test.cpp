// Filter graphs through qemu-storage-daemon (blockdev-add with node names), judged
// against the model: filters above the overlay, between overlay and backing, over the
// file node, and copy-on-read.
#include <gtest/gtest.h>

#include "impl/scenario/qemu_system.hpp"
#include "model/scenario_json.hpp"
#include "oracle/campaign.hpp"

namespace chaincheck::impl {
namespace {
}  // namespace
}  // namespace chaincheck::impl
