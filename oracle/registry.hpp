// The known-findings registry: corpus/findings/*.json, one file per finding. A finding
// that matches an entry is reported as known; anything else is new. Entries never change
// the model: they explain what QEMU does instead.
#pragma once

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oracle/finding.hpp"

namespace chaincheck::oracle {

struct KnownFinding {
  std::string id;
  std::string title;
  FindingClass cls = FindingClass::ModelDivergence;
  std::vector<std::string> interfaces;  // every one must be among the finding's
  std::string rule;
  std::optional<std::string> graph_regex;     // the exported graph must match
  std::optional<std::string> observed_regex;  // the observed text must match
  std::optional<std::string> expected_regex;  // the expected text must match
  std::string explanation;
  std::string source;
  std::string first_seen;
  std::string upstream_status;
  std::string reproducer;  // path of a transcript, relative to the registry folder

  bool matches(const Finding& f) const;
};

class Registry {
 public:
  // Entries from every *.json in `dir`; errors name the file and field.
  static Registry load(const std::filesystem::path& dir);
  static KnownFinding entry_from_json(const nlohmann::json& j, const std::string& where);

  void add(KnownFinding k) { entries_.push_back(std::move(k)); }
  const std::vector<KnownFinding>& entries() const { return entries_; }
  const KnownFinding* match(const Finding& f) const;
  // Mark every finding of a verdict that is known.
  void classify(std::vector<Finding>& findings) const;

 private:
  std::vector<KnownFinding> entries_;
};

// The registry shipped with chaincheck (corpus/findings of the source tree).
std::filesystem::path default_registry_dir();

}  // namespace chaincheck::oracle
