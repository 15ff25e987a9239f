#include "impl/qcow2/guest_extent.hpp"

#include "impl/qcow2/qcow2_error.hpp"

namespace chaincheck::impl {

std::string_view to_string(ClusterState state) {
  switch (state) {
    case ClusterState::Unallocated: return "Unallocated";
    case ClusterState::UnallocatedAlloc: return "UnallocatedAlloc";
    case ClusterState::ZeroPlain: return "ZeroPlain";
    case ClusterState::ZeroAlloc: return "ZeroAlloc";
    case ClusterState::Normal: return "Normal";
    case ClusterState::Compressed: return "Compressed";
  }
  return "?";
}

std::string to_string(const GuestExtent& e) {
  std::string s = "[" + hex(e.guest_offset) + "+" + hex(e.length) + " " + std::string(to_string(e.state));
  if (e.host_offset) s += " @" + hex(*e.host_offset);
  if (e.compressed) s += " compressed@" + hex(e.compressed->host_offset) + "/" + std::to_string(e.compressed->size);
  return s + "]";
}

namespace {
bool mergeable(const GuestExtent& a, const GuestExtent& b) {
  if (a.state != b.state || a.end() != b.guest_offset || a.compressed || b.compressed) return false;
  if (a.host_offset.has_value() != b.host_offset.has_value()) return false;
  return !a.host_offset || *a.host_offset + a.length == *b.host_offset;
}
}  // namespace

bool ExtentMerger::add(const GuestExtent& next) {
  if (stopped_) return false;
  if (next.length == 0) return true;
  if (pending_ && mergeable(*pending_, next)) {
    pending_->length += next.length;
    return true;
  }
  if (pending_ && !visit_(*pending_)) {
    stopped_ = true;
    pending_.reset();
    return false;
  }
  pending_ = next;
  return true;
}

bool ExtentMerger::finish() {
  if (!stopped_ && pending_ && !visit_(*pending_)) stopped_ = true;
  pending_.reset();
  return !stopped_;
}

}  // namespace chaincheck::impl
