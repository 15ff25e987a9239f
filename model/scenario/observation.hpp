// What a system said about a scenario, in the model's own types. The model's predictions
// and the real stack's observations share this form so the oracle compares like with like.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/semantics/projections/nbd_contexts.hpp"
#include "model/semantics/projections/qemu_img_map.hpp"
#include "model/semantics/projections/qemu_io.hpp"
#include "model/scenario/scenario.hpp"

namespace chaincheck::model {

// One NBD_REPLY_TYPE_BLOCK_STATUS chunk exactly as sent: extents start at `offset` and
// follow each other (start is filled in cumulatively).
struct ContextReply {
  std::string context;
  u64 offset = 0;       // the request's offset
  u64 request_length = 0;
  std::vector<NbdExtent> extents;
};

struct BlockSizeLimits {
  u64 minimum = 1;
  u64 preferred = 4096;
  u64 maximum = 32 * 1024 * 1024;
};

struct NbdObservation {
  u64 export_size = 0;
  BlockSizeLimits block_size;
  std::vector<std::string> contexts;  // negotiated
  std::vector<ContextReply> replies;  // in the order received
  std::string error;                  // non-empty when the server or client failed
};

// The on-disk state of a qcow2 layer, read by an inspector independent of QEMU (real) or
// taken from the model's own state (prediction).
struct LayoutExtent {
  u64 start = 0;
  u64 length = 0;
  ClusterType type = ClusterType::Unallocated;
  std::optional<u64> host_offset;  // of the extent's first byte, when it has a host cluster
  u64 end() const { return start + length; }
  bool operator==(const LayoutExtent&) const = default;
};

struct Observation {
  std::vector<std::string> step_errors;  // one per step: empty when it succeeded
  std::optional<std::vector<MapEntry>> img_map;
  std::optional<std::vector<IoMapLine>> io_map;
  std::optional<NbdObservation> nbd;
  std::optional<std::vector<Extent<std::uint8_t>>> content;
  // The export's first layer when it is qcow2 and no filter shifts offsets (raw window).
  std::optional<std::vector<LayoutExtent>> top_layout;
  std::map<std::string, std::string> versions;
  std::string error;  // the system could not run the scenario at all
  // The NbdkitBlocksize query: the export served again by nbdkit's nbd plugin
  // behind its blocksize filter: base:allocation, and every byte read through it.
  std::optional<NbdObservation> nbdkit;
  std::optional<std::vector<Extent<std::uint8_t>>> nbdkit_content;
  // A server died during the session (e.g. a failed assertion): the last line it logged.
  std::string server_crash;
};

// All extents of one context, concatenated over every reply (replies may stop short).
std::vector<NbdExtent> context_extents(const NbdObservation& nbd, const std::string& context);

// Anything that can run a scenario: the model itself, or the real QEMU stack.
class SystemUnderTest {
 public:
  virtual ~SystemUnderTest() = default;
  virtual std::string name() const = 0;
  virtual Observation run(const Scenario& scenario) = 0;
  // The host filesystem the system's images live on, when it knows (the model is then told,
  // so it predicts the same SEEK_DATA granularity).
  virtual std::optional<HostFs> host() const { return std::nullopt; }
};

}  // namespace chaincheck::model
