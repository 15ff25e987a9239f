#include "oracle/conformance/rounding_compare.hpp"

#include <set>
#include <sstream>

#include "model/semantics/rounding.hpp"
#include "oracle/nbd_spec.hpp"

namespace chaincheck::oracle::conformance {

std::vector<model::NbdExtent> sticky_rounded(const std::vector<model::NbdExtent>& precise, u64 align, u64 size) {
  std::vector<model::StatusExtent> st;
  for (const auto& e : precise) {
    model::StatusExtent s;
    s.start = e.start;
    s.status.pnum = e.length;
    // base:allocation HOLE = !DATA, ZERO = ZERO (nbd/server.c blockstatus_to_extents).
    s.status.flags = ((e.value & 1) ? 0 : model::kData) | ((e.value & 2) ? model::kZero : 0);
    st.push_back(s);
  }
  std::vector<model::NbdExtent> out;
  for (const auto& r : model::round_sticky(st, align, size))
    out.push_back({r.start, r.status.pnum, model::context_value(model::NbdContext::BaseAllocation, r.status)});
  return model::merge_equal(std::move(out));
}

RoundingComparison compare_rounding(u64 size, u64 align, const std::vector<model::NbdExtent>& precise,
                                    std::vector<RoundingSide> observed) {
  RoundingComparison c{size, align, precise, std::move(observed)};
  c.sides.push_back({"model (sticky)", sticky_rounded(precise, align, size), {}});
  for (auto& side : c.sides) {
    model::ContextReply reply{.context = "base:allocation", .offset = 0, .request_length = size, .extents = side.extents};
    side.violations = check_block_status_reply(reply, {.export_size = size, .min_block = align});
  }
  return c;
}

namespace {

std::string flag_text(const std::vector<model::NbdExtent>& ext, u64 at) {
  for (const auto& e : ext)
    if (e.start <= at && at < e.end())
      return std::string(e.value & 1 ? "H" : "-") + (e.value & 2 ? "Z" : "-");
  return "  ";
}

}  // namespace

std::string rounding_table(const RoundingComparison& c) {
  std::set<u64> cuts = {0, c.size};
  for (const auto& e : c.precise) cuts.insert(e.start);
  for (const auto& s : c.sides)
    for (const auto& e : s.extents) cuts.insert(std::min(e.start, c.size));
  std::ostringstream out;
  out << "base:allocation at align " << c.align << " (H = hole, Z = zero)\n| offset | length | precise |";
  for (const auto& s : c.sides) out << " " << s.name << " |";
  out << "\n|---|---|---|";
  for (std::size_t i = 0; i < c.sides.size(); ++i) out << "---|";
  out << "\n";
  std::vector<u64> v(cuts.begin(), cuts.end());
  for (std::size_t i = 0; i + 1 < v.size(); ++i) {
    out << "| " << v[i] << " | " << v[i + 1] - v[i] << " | " << flag_text(c.precise, v[i]) << " |";
    for (const auto& s : c.sides) out << " " << flag_text(s.extents, v[i]) << " |";
    out << "\n";
  }
  for (const auto& s : c.sides) {
    out << s.name << ": " << s.extents.size() << " extents, ";
    if (s.violations.empty()) out << "NBD-spec clean at minimum block " << c.align << "\n";
    else out << s.violations.size() << " NBD-spec violation(s), first: " << s.violations.front().summary << "\n";
  }
  return out.str();
}

}  // namespace chaincheck::oracle::conformance
