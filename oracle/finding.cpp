#include "oracle/finding.hpp"

namespace chaincheck::oracle {

const char* to_string(FindingClass c) {
  switch (c) {
    case FindingClass::NbdSpec: return "nbd-spec";
    case FindingClass::Content: return "content";
    case FindingClass::CrossInterface: return "cross-interface";
    case FindingClass::ModelDivergence: return "model-divergence";
  }
  return "?";
}

std::string Finding::signature() const {
  std::string s = std::string(to_string(cls)) + "|";
  for (std::size_t i = 0; i < interfaces.size(); ++i) s += (i ? "," : "") + interfaces[i];
  return s + "|" + rule;
}

nlohmann::json to_json(const Finding& f) {
  return {{"class", to_string(f.cls)},     {"interface", f.interfaces}, {"rule", f.rule},
          {"offset", f.offset},            {"length", f.length},        {"expected", f.expected},
          {"observed", f.observed},        {"summary", f.summary},      {"where", f.where},
          {"graph", f.graph},              {"known", f.known},          {"known_id", f.known_id},
          {"signature", f.signature()},    {"versions", f.versions}};
}

std::string describe(const Finding& f) {
  std::string ifs;
  for (std::size_t i = 0; i < f.interfaces.size(); ++i) ifs += (i ? " vs " : "") + f.interfaces[i];
  return "[" + std::string(to_string(f.cls)) + "] " + ifs + " " + std::to_string(f.offset) + "+" +
         std::to_string(f.length) + ": " + f.summary + (f.known ? " (known: " + f.known_id + ")" : "");
}

Finding make_finding(FindingClass cls, std::vector<std::string> interfaces, std::string rule, u64 off, u64 len,
                     std::string expected, std::string observed, std::string summary) {
  Finding f;
  f.cls = cls;
  f.interfaces = std::move(interfaces);
  f.rule = std::move(rule);
  f.offset = off;
  f.length = len;
  f.expected = std::move(expected);
  f.observed = std::move(observed);
  f.summary = std::move(summary);
  return f;
}

}  // namespace chaincheck::oracle
