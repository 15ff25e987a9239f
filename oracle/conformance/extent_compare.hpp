// Comparing two answers of one context over the bytes both describe (replies may stop
// short, and may split or merge equal neighbours differently: only values per byte count).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/semantics/projections/nbd_contexts.hpp"

namespace chaincheck::oracle::conformance {

// The part of `extents` inside [from, to).
std::vector<model::NbdExtent> clip(const std::vector<model::NbdExtent>& extents, model::u64 from, model::u64 to);

// The first byte both describe with different values, described; nullopt when they agree
// everywhere both cover.
std::optional<std::string> first_difference(const std::vector<model::NbdExtent>& a,
                                            const std::vector<model::NbdExtent>& b);

// "0+4096:3 4096+512:0" (at most a few extents, then "...").
std::string describe_extents(const std::vector<model::NbdExtent>& extents);

}  // namespace chaincheck::oracle::conformance
