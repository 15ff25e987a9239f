#include "oracle/dirty_bitmap_judge.hpp"

#include <algorithm>

#include "model/semantics/projections/dirty_bitmap.hpp"

namespace chaincheck::oracle {

namespace {

std::string dirty_text(std::uint32_t v) { return v & model::kNbdDirty ? "dirty" : "clean"; }

Finding divergence(const std::string& context, std::string rule, u64 off, u64 len, std::string expected,
                   std::string observed, std::string summary) {
  return make_finding(FindingClass::ModelDivergence, {context}, std::move(rule), off, len, std::move(expected),
                      std::move(observed), std::move(summary));
}

}  // namespace

std::vector<Finding> dirty_bitmap_divergence(const model::NbdObservation& p, const model::NbdObservation& o,
                                             const std::set<std::string>& explained) {
  std::vector<Finding> out;
  for (const std::string& context : p.contexts) {
    if (context.rfind(model::kDirtyBitmapPrefix, 0) != 0 || explained.count(context)) continue;
    if (std::find(o.contexts.begin(), o.contexts.end(), context) == o.contexts.end()) {
      out.push_back(divergence(context, "bitmap-context-missing", 0, 0, "negotiated", "not negotiated",
                               "the server did not offer the exported bitmap's context"));
      continue;
    }
    auto want = model::context_extents(p, context), got = model::context_extents(o, context);
    for (const auto& m : model::merge_contexts({want, got})) {
      if (m.values[0] == m.values[1]) continue;
      if (!out.empty() && out.back().interfaces[0] == context && out.back().offset + out.back().length == m.start &&
          out.back().expected == dirty_text(m.values[0]) && out.back().observed == dirty_text(m.values[1])) {
        out.back().length += m.length;
        continue;
      }
      out.push_back(divergence(context, "dirty-bitmap", m.start, m.length, dirty_text(m.values[0]),
                               dirty_text(m.values[1]), "the dirty bitmap differs from the model"));
    }
  }
  return out;
}

}  // namespace chaincheck::oracle
