// Arguments of the chaincheck subcommands, and the commands that live in their own files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/scenario/rebuild.hpp"

namespace chaincheck::cli {

struct CampaignArgs {
  std::uint64_t seed = 1;
  std::uint64_t count = 0;
  double seconds = 0;
  unsigned jobs = 2;
  std::string out = "reports/campaign";
  std::string system;  // default: the last of system_names() (qemu when built)
  unsigned max_layers = 4;
  bool no_minimize = false;
  bool rebuild = false;  // also run the chain-rebuild check (oracle/rebuild_check)
  std::string second_server;  // "nbdkit": also serve every export through nbdkit
  std::vector<std::string> faults;
  std::string registry;
};

struct ReproArgs {
  std::string path;
  bool json = false;
  bool normalize = false;
  std::string registry;
};

struct RebuildArgs {
  std::string system;  // "model" or "qemu"
  bool json = false;
  std::uint64_t cluster_size = 65536;  // of the fresh qcow2 images
  bool extended_l2 = false;
  bool no_hole = false;        // zeroes sent with NBD_CMD_FLAG_NO_HOLE
  bool discard_unmap = false;  // the writable qemu-nbd runs with --discard=unmap
};

using RebuilderFactory = std::function<std::unique_ptr<model::ChainRebuilder>()>;
// Throws std::invalid_argument for a system without a rebuilder.
RebuilderFactory rebuilder_factory(const std::string& system);
int cmd_rebuild(const model::Scenario& scenario, const RebuildArgs& args);

struct NbdCheckArgs {
  std::string uri;
  bool json = false;
  bool strict = false;  // SHOULD failures exit 1 too
  unsigned max_queries = 400;
  std::uint64_t max_read_bytes = 16ull << 20;
  std::uint64_t max_walk_bytes = 0;
  std::uint64_t seed = 1;
  std::vector<std::string> contexts;
};

int cmd_repro(const ReproArgs& args);
int cmd_nbd_check(const NbdCheckArgs& args);

struct RoundingArgs {
  std::string image;
  std::string format = "qcow2";
  std::uint64_t align = 4096;
};
int cmd_rounding(const RoundingArgs& args);
int cmd_bench(double seconds);

}  // namespace chaincheck::cli
