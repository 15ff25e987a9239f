// A light consistency check in the spirit of `qemu-img check`: every host cluster the
// metadata references has a refcount, COPIED flags agree with refcount 1, no reserved
// bits, no data past the end of the file.
#pragma once

#include <string>
#include <vector>

#include "impl/qcow2/cluster_map.hpp"
#include "impl/qcow2/image_source.hpp"
#include "impl/qcow2/qcow2_header.hpp"
#include "impl/qcow2/refcounts.hpp"

namespace chaincheck::impl {

// One message per problem (at most 100, then a count). Structural corruption that
// makes tables unreadable throws Qcow2FormatError, as mapping does.
std::vector<std::string> check_consistency(const ImageSource& source, const Qcow2Header& header,
                                           const MappingLayout& layout, const RefcountReader& refcounts);

}  // namespace chaincheck::impl
