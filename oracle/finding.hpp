// A finding: one disagreement, classified, with what a person needs to act on it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chaincheck::oracle {

using u64 = std::uint64_t;

enum class FindingClass {
  NbdSpec,          // a MUST of the NBD protocol broken by what the server sent
  Content,          // a flag promises something the bytes contradict
  CrossInterface,   // two interfaces of one implementation describe the same bytes incompatibly
  ModelDivergence,  // the implementation differs from the model's intended semantics
};
const char* to_string(FindingClass c);

struct Finding {
  FindingClass cls = FindingClass::ModelDivergence;
  std::vector<std::string> interfaces;  // "base:allocation", "qemu-img map", ...
  std::string rule;      // stable id of what was broken: "extent-not-multiple-of-min-block"
  u64 offset = 0;        // first byte concerned
  u64 length = 0;
  std::string expected;
  std::string observed;
  std::string summary;   // one line
  std::string where;     // scenario step or transcript line ("export", "step 3", "line 12")
  std::string graph;     // the exported graph, described
  bool known = false;
  std::string known_id;  // registry id when known
  std::map<std::string, std::string> versions;

  // What the known-findings registry matches on.
  std::string signature() const;
};

// Where the NBD spec lets a server say less (a flag left clear): reported, not a violation.
struct Imprecision {
  std::string interface;
  u64 offset = 0;
  u64 length = 0;
  std::string what;
};

struct Verdict {
  std::vector<Finding> findings;
  std::vector<Imprecision> imprecisions;
  bool clean() const { return findings.empty(); }
};

// A finding at [off, off+len) of the named interfaces (the judges' one constructor).
Finding make_finding(FindingClass cls, std::vector<std::string> interfaces, std::string rule, u64 off, u64 len,
                     std::string expected, std::string observed, std::string summary);

nlohmann::json to_json(const Finding& f);
std::string describe(const Finding& f);  // "[nbd-spec] base:allocation 0+512: ..."

}  // namespace chaincheck::oracle
