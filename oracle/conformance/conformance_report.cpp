// The conformance table as text (markdown, one row per check, one column per context) and
// as JSON.
#include <algorithm>
#include <sstream>

#include "oracle/conformance/conformance.hpp"

namespace chaincheck::oracle::conformance {

namespace {

std::string cell_text(const CheckResult& r) {
  switch (r.status) {
    case Status::Pass:
      return "pass";
    case Status::Skip:
      return "skip: " + r.why;
    case Status::Fail:
      return "FAIL" + (r.violations > 1 ? " (" + std::to_string(r.violations) + "x)" : std::string()) + ": " + r.why;
  }
  return "";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::string table_text(const ConformanceReport& r) {
  std::ostringstream out;
  out << "nbd-check " << r.target << "\n";
  out << "export: size " << r.size << ", minimum block " << r.min_block << ", preferred block " << r.preferred_block
      << ", structured replies " << (r.structured_replies ? "yes" : "no") << "\n";
  out << "contexts offered: "
      << (r.offered ? join(*r.offered) : "(listing refused" + (r.list_error.empty() ? "" : ": " + r.list_error) + ")")
      << "; negotiated: " << join(r.negotiated) << "\n\n";
  std::vector<std::string> columns;
  for (const auto& res : r.results)
    if (std::find(columns.begin(), columns.end(), res.context) == columns.end()) columns.push_back(res.context);
  out << "| check | level |";
  for (const auto& c : columns) out << " " << c << " |";
  out << "\n|---|---|";
  for (std::size_t i = 0; i < columns.size(); ++i) out << "---|";
  out << "\n";
  for (const auto& id : check_ids()) {
    const CheckResult* any = nullptr;
    for (const auto& res : r.results)
      if (res.check == id) any = &res;
    if (!any) continue;
    out << "| " << id << " | " << to_string(any->level) << " |";
    for (const auto& c : columns) {
      const CheckResult* res = r.find(id, c);
      out << " " << (res ? cell_text(*res) : "") << " |";
    }
    out << "\n";
  }
  unsigned pass = 0, fail = 0, must = 0, skip = 0;
  for (const auto& res : r.results) {
    if (res.status == Status::Pass) pass++;
    if (res.status == Status::Skip) skip++;
    if (res.status == Status::Fail) fail++, must += res.level == Level::Must;
  }
  out << "\n" << pass << " pass, " << fail << " FAIL (" << must << " of them MUST), " << skip << " skip; " << r.queries
      << " block-status queries, " << r.bytes_read << " bytes read\n";
  for (const auto& n : r.notes) out << "note: " << n << "\n";
  return out.str();
}

nlohmann::json to_json(const ConformanceReport& r) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& res : r.results)
    checks.push_back({{"check", res.check},
                      {"context", res.context},
                      {"level", to_string(res.level)},
                      {"status", to_string(res.status)},
                      {"why", res.why},
                      {"violations", res.violations},
                      {"queries", res.queries}});
  nlohmann::json j = {{"target", r.target},
                      {"export",
                       {{"size", r.size},
                        {"minimum_block", r.min_block},
                        {"preferred_block", r.preferred_block},
                        {"structured_replies", r.structured_replies}}},
                      {"contexts", {{"offered", r.offered ? nlohmann::json(*r.offered) : nlohmann::json(nullptr)},
                                    {"list_error", r.list_error},
                                    {"negotiated", r.negotiated}}},
                      {"checks", checks},
                      {"queries", r.queries},
                      {"bytes_read", r.bytes_read},
                      {"notes", r.notes},
                      {"verdict", r.must_failed() ? "must-violated" : r.any_failed() ? "should-violated" : "conformant"}};
  return j;
}

}  // namespace chaincheck::oracle::conformance
