// Arguments of the chaincheck subcommands, and the commands that live in their own files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  std::vector<std::string> faults;
  std::string registry;
};

struct ReproArgs {
  std::string path;
  bool json = false;
  bool normalize = false;
  std::string registry;
};

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
