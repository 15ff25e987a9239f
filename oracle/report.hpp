// The campaign's report folder: summary.json, summary.md, index.html (each finding's
// extent maps, every interface side by side, as SVG) and findings/NNN.sh + NNN.json.
#pragma once

#include <filesystem>
#include <string>

#include "oracle/campaign.hpp"

namespace chaincheck::oracle {

// Writes the folder (created if needed); fills each record's reproducer_path.
void write_report(CampaignSummary& summary, const std::filesystem::path& dir);

nlohmann::json summary_json(const CampaignSummary& summary);
std::string summary_markdown(const CampaignSummary& summary);
std::string summary_html(const CampaignSummary& summary);
// One SVG: the model's and the system's extents for each interface of a finding.
std::string finding_svg(const FindingRecord& record);

}  // namespace chaincheck::oracle
