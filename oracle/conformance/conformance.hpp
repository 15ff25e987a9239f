// nbd-check: block-status conformance of any NBD export. Runs bounded checks (NBD-spec
// MUSTs and SHOULDs on every reply, ZERO read back as zeroes, unaligned tails, stable and
// tiling answers) and reports each check per metadata context as pass / FAIL / skip.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oracle/conformance/export_target.hpp"

namespace chaincheck::oracle::conformance {

enum class Level { Must, Should };
enum class Status { Pass, Fail, Skip };
const char* to_string(Level l);
const char* to_string(Status s);

// One cell of the table: a check on one context ("export" for export-wide checks).
struct CheckResult {
  std::string check;
  std::string context;
  Level level = Level::Must;
  Status status = Status::Skip;
  std::string why;        // first violation, or why skipped; empty on pass
  unsigned violations = 0;
  unsigned queries = 0;   // block-status commands this check judged
};

struct ConformanceOptions {
  unsigned max_queries = 400;                   // block-status commands in all
  u64 max_read_bytes = 16ull << 20;             // read back for ZERO extents in all
  u64 max_walk_bytes = 0;                       // 0: the whole export (bounded by queries)
  std::uint64_t seed = 1;                       // random offsets/lengths
  std::vector<std::string> extra_contexts;      // asked for even when not listed
};

struct ConformanceReport {
  std::string target;  // URI or description
  u64 size = 0;
  u64 min_block = 1;
  u64 preferred_block = 0;
  bool structured_replies = false;
  std::optional<std::vector<std::string>> offered;
  std::string list_error;
  std::vector<std::string> negotiated;
  std::vector<CheckResult> results;  // in check order, then context order
  unsigned queries = 0;
  u64 bytes_read = 0;
  std::vector<std::string> notes;  // bounds hit, sessions that failed

  const CheckResult* find(const std::string& check, const std::string& context) const;
  bool must_failed() const;
  bool any_failed() const;
};

// The check ids in table order.
const std::vector<std::string>& check_ids();

// Opens the first session (throws std::runtime_error when it cannot: bad input), then
// runs every check within the bounds.
ConformanceReport run_conformance(ExportTarget& target, const std::string& description,
                                  const ConformanceOptions& options = {});

std::string table_text(const ConformanceReport& r);
nlohmann::json to_json(const ConformanceReport& r);

}  // namespace chaincheck::oracle::conformance
