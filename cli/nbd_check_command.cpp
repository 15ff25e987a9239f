// chaincheck nbd-check URI: the block-status conformance table of any NBD export.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/nbd_uri_target.hpp"
#include "oracle/conformance/conformance.hpp"

namespace chaincheck::cli {

int cmd_nbd_check(const NbdCheckArgs& a) {
  oracle::conformance::ConformanceOptions o;
  o.max_queries = a.max_queries;
  o.max_read_bytes = a.max_read_bytes;
  o.max_walk_bytes = a.max_walk_bytes;
  o.seed = a.seed;
  o.extra_contexts = a.contexts;
  NbdUriTarget target(a.uri);
  oracle::conformance::ConformanceReport r;
  try {
    r = oracle::conformance::run_conformance(target, a.uri, o);
  } catch (const std::exception& e) {
    // Only the first connection is bad input (bad URI, unreachable server, no such export);
    // failures after it are reported in the table.
    std::cerr << "chaincheck nbd-check: " << e.what() << "\n";
    return 2;
  }
  if (a.json) std::cout << oracle::conformance::to_json(r).dump(2) << "\n";
  else std::cout << oracle::conformance::table_text(r);
  return r.must_failed() || (a.strict && r.any_failed()) ? 1 : 0;
}

}  // namespace chaincheck::cli
