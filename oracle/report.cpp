#include "oracle/report.hpp"

#include <cstdio>
#include <fstream>

#include "model/scenario/scenario_json.hpp"

namespace chaincheck::oracle {

using namespace chaincheck::model;

namespace {

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Row {
  std::string label;
  std::vector<NbdExtent> extents;
  bool depth = false;
};

std::string colour(std::uint32_t v, bool depth) {
  if (depth) {
    static const char* c[] = {"#e8e8e8", "#3b7dd8", "#f0a030", "#9a5fc7", "#c04040"};
    return c[std::min<std::uint32_t>(v, 4)];
  }
  static const char* c[] = {"#3b7dd8", "#f0a030", "#a0d0a0", "#e8e8e8"};  // data, hole, zero, hole+zero
  return c[v & 3];
}

std::vector<Row> rows_for(const FindingRecord& r) {
  std::vector<Row> rows;
  auto add_obs = [&](const Observation& o, const std::string& who) {
    if (o.nbd) {
      rows.push_back({who + " base:allocation", context_extents(*o.nbd, "base:allocation"), false});
      rows.push_back({who + " allocation-depth", context_extents(*o.nbd, "qemu:allocation-depth"), true});
    }
    if (o.img_map) {
      std::vector<NbdExtent> depth;
      for (const MapEntry& m : *o.img_map)
        depth.push_back({m.start, m.length, m.present ? static_cast<std::uint32_t>(m.depth + 1) : 0u});
      rows.push_back({who + " qemu-img map (present depth)", merge_equal(depth), true});
    }
  };
  add_obs(r.predicted, "model");
  add_obs(r.observed, "real");
  return rows;
}

}  // namespace

std::string finding_svg(const FindingRecord& r) {
  std::vector<Row> rows = rows_for(r);
  u64 len = 0;
  for (const Row& row : rows)
    for (const auto& e : row.extents) len = std::max(len, e.end());
  const int width = 760, label = 230, h = 16, gap = 6;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(width + label) + "' height='" +
                    std::to_string(static_cast<int>(rows.size()) * (h + gap) + 24) + "' font-family='monospace' font-size='11'>";
  int y = 4;
  for (const Row& row : rows) {
    svg += "<text x='0' y='" + std::to_string(y + 12) + "'>" + html_escape(row.label) + "</text>";
    for (const auto& e : row.extents) {
      if (!len) break;
      double x = label + static_cast<double>(e.start) * width / static_cast<double>(len);
      double w = std::max(1.0, static_cast<double>(e.length) * width / static_cast<double>(len));
      char buf[320];
      std::snprintf(buf, sizeof buf,
                    "<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='%s' stroke='#444' stroke-width='0.3'>"
                    "<title>%llu+%llu: %u</title></rect>",
                    x, y, w, h, colour(e.value, row.depth).c_str(), static_cast<unsigned long long>(e.start),
                    static_cast<unsigned long long>(e.length), e.value);
      svg += buf;
    }
    y += h + gap;
  }
  // Mark the finding's range.
  if (len && r.finding.length) {
    double x = label + static_cast<double>(r.finding.offset) * width / static_cast<double>(len);
    double w = std::max(2.0, static_cast<double>(r.finding.length) * width / static_cast<double>(len));
    char buf[200];
    std::snprintf(buf, sizeof buf, "<rect x='%.1f' y='0' width='%.1f' height='%d' fill='none' stroke='#d00' stroke-width='2'/>",
                  x, w, y);
    svg += buf;
  }
  svg += "<text x='0' y='" + std::to_string(y + 14) + "'>0 .. " + std::to_string(len) + " bytes</text></svg>";
  return svg;
}

nlohmann::json summary_json(const CampaignSummary& s) {
  nlohmann::json findings = nlohmann::json::array();
  for (const FindingRecord& r : s.findings) {
    nlohmann::json j = to_json(r.finding);
    j["occurrences"] = r.occurrences;
    j["reproducer"] = r.reproducer_path;
    j["scenario"] = to_json(r.scenario);
    j["seed"] = r.scenario.seed;
    findings.push_back(j);
  }
  return {{"seed", s.seed},
          {"scenarios", s.progress.scenarios},
          {"errors", s.progress.errors},
          {"seconds", s.progress.seconds},
          {"scenarios_per_second", s.progress.seconds > 0 ? s.progress.scenarios / s.progress.seconds : 0.0},
          {"new_findings", s.progress.new_findings},
          {"known_findings", s.progress.known_findings},
          {"imprecisions", s.imprecisions},
          {"versions", s.versions},
          {"error_examples", s.errors},
          {"findings", findings}};
}

std::string summary_markdown(const CampaignSummary& s) {
  std::string md = "# chaincheck campaign\n\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "seed %llu: %llu scenarios in %.1f s (%.1f/s), %llu could not run; %u new and %u known findings\n\n",
                static_cast<unsigned long long>(s.seed), static_cast<unsigned long long>(s.progress.scenarios),
                s.progress.seconds, s.progress.seconds > 0 ? s.progress.scenarios / s.progress.seconds : 0.0,
                static_cast<unsigned long long>(s.progress.errors), s.progress.new_findings, s.progress.known_findings);
  md += buf;
  for (const auto& [k, v] : s.versions) md += "- " + k + ": " + v + "\n";
  md += "\n| # | class | interface | summary | known | occurrences | reproducer |\n|---|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < s.findings.size(); ++i) {
    const FindingRecord& r = s.findings[i];
    std::string ifs;
    for (const auto& x : r.finding.interfaces) ifs += (ifs.empty() ? "" : ", ") + x;
    md += "| " + std::to_string(i + 1) + " | " + to_string(r.finding.cls) + " | " + ifs + " | " + r.finding.summary +
          " (" + r.finding.expected + " / " + r.finding.observed + ") | " +
          (r.finding.known ? r.finding.known_id : "new") + " | " + std::to_string(r.occurrences) + " | " +
          r.reproducer_path + " |\n";
  }
  if (!s.imprecisions.empty()) {
    md += "\nImprecision (the server said less than it could, which the NBD spec allows):\n";
    for (const auto& [k, v] : s.imprecisions) md += "- " + k + ": " + std::to_string(v) + " ranges\n";
  }
  return md;
}

std::string summary_html(const CampaignSummary& s) {
  std::string h = "<!doctype html><html><head><meta charset='utf-8'><title>chaincheck campaign</title>"
                  "<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:.5em;overflow:auto}"
                  "h2{border-top:1px solid #ccc;padding-top:.5em}</style></head><body>";
  h += "<h1>chaincheck campaign</h1><pre>" + html_escape(summary_markdown(s)) + "</pre>";
  h += "<p>Legend: base:allocation blue = data, orange = hole, green = zero, grey = hole+zero; "
       "depth grey = absent, blue = local, orange = backing 2, purple = 3+. The red box is the finding's range.</p>";
  for (std::size_t i = 0; i < s.findings.size(); ++i) {
    const FindingRecord& r = s.findings[i];
    h += "<h2>" + std::to_string(i + 1) + ". " + html_escape(describe(r.finding)) + "</h2>";
    h += "<p>graph: " + html_escape(r.finding.graph) + "; expected (model): " + html_escape(r.finding.expected) +
         "; observed: " + html_escape(r.finding.observed) + "</p>";
    h += finding_svg(r);
    h += "<pre>" + html_escape(r.reproducer) + "</pre>";
  }
  return h + "</body></html>\n";
}

void write_report(CampaignSummary& s, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "findings");
  for (std::size_t i = 0; i < s.findings.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%03zu", i + 1);
    FindingRecord& r = s.findings[i];
    r.reproducer_path = "findings/" + std::string(name) + ".sh";
    write_file(dir / r.reproducer_path, r.reproducer);
    std::filesystem::permissions(dir / r.reproducer_path, std::filesystem::perms::owner_exec,
                                 std::filesystem::perm_options::add);
    nlohmann::json j = to_json(r.finding);
    j["scenario"] = to_json(r.scenario);
    j["occurrences"] = r.occurrences;
    write_file(dir / ("findings/" + std::string(name) + ".json"), j.dump(2) + "\n");
  }
  write_file(dir / "summary.json", summary_json(s).dump(2) + "\n");
  write_file(dir / "summary.md", summary_markdown(s));
  write_file(dir / "index.html", summary_html(s));
}

}  // namespace chaincheck::oracle
