#include "oracle/registry.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chaincheck::oracle {

namespace {

FindingClass class_from(const std::string& s, const std::string& where) {
  for (FindingClass c : {FindingClass::NbdSpec, FindingClass::Content, FindingClass::CrossInterface,
                         FindingClass::ModelDivergence})
    if (s == to_string(c)) return c;
  throw std::invalid_argument(where + ": class '" + s + "' is not one of nbd-spec, content, cross-interface, model-divergence");
}

std::string str(const nlohmann::json& j, const char* key, const std::string& where, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) throw std::invalid_argument(where + ": field '" + key + "' is missing");
    return {};
  }
  if (!it->is_string()) throw std::invalid_argument(where + ": field '" + key + "' must be a string");
  return it->get<std::string>();
}

}  // namespace

bool KnownFinding::matches(const Finding& f) const {
  if (f.cls != cls || f.rule != rule) return false;
  for (const auto& i : interfaces)
    if (std::find(f.interfaces.begin(), f.interfaces.end(), i) == f.interfaces.end()) return false;
  if (graph_regex && !std::regex_search(f.graph, std::regex(*graph_regex))) return false;
  if (observed_regex && !std::regex_search(f.observed, std::regex(*observed_regex))) return false;
  if (expected_regex && !std::regex_search(f.expected, std::regex(*expected_regex))) return false;
  return true;
}

KnownFinding Registry::entry_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw std::invalid_argument(where + ": expected a JSON object");
  KnownFinding k;
  k.id = str(j, "id", where);
  k.title = str(j, "title", where);
  k.cls = class_from(str(j, "class", where), where);
  auto m = j.find("match");
  if (m == j.end() || !m->is_object()) throw std::invalid_argument(where + ": field 'match' must be an object");
  std::string mw = where + ": match";
  k.rule = str(*m, "rule", mw);
  auto ifs = m->find("interface");
  if (ifs == m->end() || !ifs->is_array()) throw std::invalid_argument(mw + ": field 'interface' must be an array");
  for (const auto& i : *ifs) {
    if (!i.is_string()) throw std::invalid_argument(mw + ": interface entries must be strings");
    k.interfaces.push_back(i.get<std::string>());
  }
  if (m->contains("graph")) {
    k.graph_regex = str(*m, "graph", mw);
    try { std::regex r(*k.graph_regex); } catch (const std::regex_error&) {
      throw std::invalid_argument(mw + ": 'graph' is not a valid regular expression");
    }
  }
  if (m->contains("observed")) {
    k.observed_regex = str(*m, "observed", mw);
    try { std::regex r(*k.observed_regex); } catch (const std::regex_error&) {
      throw std::invalid_argument(mw + ": 'observed' is not a valid regular expression");
    }
  }
  if (m->contains("expected")) {
    k.expected_regex = str(*m, "expected", mw);
    try { std::regex r(*k.expected_regex); } catch (const std::regex_error&) {
      throw std::invalid_argument(mw + ": 'expected' is not a valid regular expression");
    }
  }
  k.explanation = str(j, "explanation", where);
  k.source = str(j, "source", where);
  k.first_seen = str(j, "first_seen", where);
  k.upstream_status = str(j, "upstream_status", where);
  k.reproducer = str(j, "reproducer", where, false);
  return k;
}

Registry Registry::load(const std::filesystem::path& dir) {
  Registry r;
  if (!std::filesystem::is_directory(dir)) throw std::invalid_argument("known-findings registry " + dir.string() + " is not a directory");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::parse_error& e) {
      throw std::invalid_argument(p.string() + ": invalid JSON (" + e.what() + ")");
    }
    r.add(entry_from_json(j, p.string()));
  }
  return r;
}

const KnownFinding* Registry::match(const Finding& f) const {
  for (const auto& k : entries_)
    if (k.matches(f)) return &k;
  return nullptr;
}

void Registry::classify(std::vector<Finding>& findings) const {
  for (Finding& f : findings) {
    if (const KnownFinding* k = match(f)) {
      f.known = true;
      f.known_id = k->id;
    }
  }
}

std::filesystem::path default_registry_dir() {
#ifdef CHAINCHECK_SOURCE_DIR
  return std::filesystem::path(CHAINCHECK_SOURCE_DIR) / "corpus" / "findings";
#else
  return "corpus/findings";
#endif
}

}  // namespace chaincheck::oracle
