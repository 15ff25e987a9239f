// qemu-img JSON parsing, on output captured from qemu-img 7.2.22 (Debian 12).
#include <gtest/gtest.h>

#include <functional>

#include "impl/process/process.hpp"
#include "impl/qemu_tools/img_records.hpp"

namespace chaincheck::impl {
namespace {

// `qemu-img map --output=json -f qcow2 top.qcow2` after the seed transcript.
constexpr const char* kSeedMap =
    R"([{ "start": 0, "length": 65536, "depth": 1, "present": true, "zero": false, "data": true, "offset": 0},
{ "start": 65536, "length": 65536, "depth": 0, "present": true, "zero": false, "data": true, "offset": 327680},
{ "start": 131072, "length": 65536, "depth": 0, "present": true, "zero": true, "data": false},
{ "start": 196608, "length": 65536, "depth": 1, "present": true, "zero": true, "data": false, "offset": 196608}]
)";

// The same top.qcow2 opened with backing=null (--image-opts ...,backing=): unallocated
// clusters are present:false and have no offset.
constexpr const char* kNoBackingMap =
    R"([{ "start": 0, "length": 65536, "depth": 0, "present": false, "zero": true, "data": false},
{ "start": 65536, "length": 65536, "depth": 0, "present": true, "zero": false, "data": true, "offset": 327680},
{ "start": 131072, "length": 65536, "depth": 0, "present": true, "zero": true, "data": false},
{ "start": 196608, "length": 65536, "depth": 0, "present": false, "zero": true, "data": false}]
)";

// A zero-length qcow2: one empty entry.
constexpr const char* kEmptyImageMap =
    R"([{ "start": 0, "length": 0, "depth": 0, "present": false, "zero": false, "data": false}]
)";

// `qemu-img info --output=json --backing-chain -f qcow2 top.qcow2`
constexpr const char* kSeedInfoChain = R"([
    {
        "backing-filename-format": "raw",
        "virtual-size": 262144,
        "filename": "top.qcow2",
        "cluster-size": 65536,
        "format": "qcow2",
        "actual-size": 401408,
        "format-specific": {
            "type": "qcow2",
            "data": {
                "compat": "1.1",
                "compression-type": "zlib",
                "lazy-refcounts": false,
                "refcount-bits": 16,
                "corrupt": false,
                "extended-l2": false
            }
        },
        "full-backing-filename": "base.raw",
        "backing-filename": "base.raw",
        "dirty-flag": false
    },
    {
        "virtual-size": 262144,
        "filename": "base.raw",
        "format": "raw",
        "actual-size": 192512,
        "dirty-flag": false
    }
]
)";

// compat=0.10 images print no extended-l2 at all.
constexpr const char* kCompat010Info = R"({
    "virtual-size": 1048576,
    "filename": "old.qcow2",
    "cluster-size": 65536,
    "format": "qcow2",
    "actual-size": 200704,
    "format-specific": {
        "type": "qcow2",
        "data": {
            "compat": "0.10",
            "compression-type": "zlib",
            "refcount-bits": 16
        }
    },
    "dirty-flag": false
}
)";

constexpr const char* kExtendedL2Info = R"({
    "virtual-size": 1048576,
    "filename": "ext.qcow2",
    "cluster-size": 131072,
    "format": "qcow2",
    "actual-size": 397312,
    "format-specific": {
        "type": "qcow2",
        "data": {
            "compat": "1.1",
            "compression-type": "zlib",
            "lazy-refcounts": false,
            "refcount-bits": 16,
            "corrupt": false,
            "extended-l2": true
        }
    },
    "dirty-flag": false
}
)";

MapEntry entry(std::uint64_t start, std::uint64_t length, std::int64_t depth, bool present, bool zero, bool data,
               std::optional<std::uint64_t> offset = std::nullopt) {
  return MapEntry{start, length, depth, present, zero, data, offset};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ToolError& e) {
    return e.what();
  }
  return "(no ToolError)";
}

TEST(ParseMapJson, ReadsEveryFieldOfTheSeedMap) {
  std::vector<MapEntry> expected = {
      entry(0, 65536, 1, true, false, true, 0),
      entry(65536, 65536, 0, true, false, true, 327680),
      entry(131072, 65536, 0, true, true, false),
      entry(196608, 65536, 1, true, true, false, 196608),
  };
  EXPECT_EQ(parse_map_json(kSeedMap), expected);
}

TEST(ParseMapJson, ReadsUnallocatedEntriesWithoutOffset) {
  auto m = parse_map_json(kNoBackingMap);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0], entry(0, 65536, 0, false, true, false));
  EXPECT_EQ(m[3], entry(196608, 65536, 0, false, true, false));
  EXPECT_FALSE(m[2].offset.has_value());
}

TEST(ParseMapJson, ReadsTheEmptyEntryOfAZeroLengthImage) {
  EXPECT_EQ(parse_map_json(kEmptyImageMap), std::vector<MapEntry>{entry(0, 0, 0, false, false, false)});
  EXPECT_TRUE(parse_map_json("[]").empty());
}

TEST(ParseMapJson, MissingPresentMeansPresent) {
  // QEMU before 6.0 printed no "present" (and only allocated entries).
  auto m = parse_map_json(R"([{ "start": 0, "length": 512, "depth": 0, "zero": false, "data": true, "offset": 4096}])");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(m[0].present);
  EXPECT_EQ(m[0].offset, 4096u);
}

TEST(ParseMapJson, MalformedJsonIsAClearToolError) {
  const std::string truncated = std::string(kSeedMap).substr(0, 120);
  EXPECT_NE(error_of([&] { parse_map_json(truncated); }).find("qemu-img map: output is not valid JSON"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_map_json(""); }).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of([] { parse_map_json("qemu-img: Could not open 'x'"); }).find("not valid JSON"),
            std::string::npos);
}

TEST(ParseMapJson, MissingFieldIsNamedWithItsEntry) {
  std::string text = kSeedMap;
  text.replace(text.find("\"depth\": 0, "), 12, "");  // entry 1 loses its depth
  EXPECT_EQ(error_of([&] { parse_map_json(text); }), "qemu-img map entry 1: missing field \"depth\"");
  EXPECT_EQ(error_of([] { parse_map_json(R"([{"start": 0, "length": 1, "depth": 0, "data": true}])"); }),
            "qemu-img map entry 0: missing field \"zero\"");
}

TEST(ParseMapJson, WrongTypesAreNamed) {
  EXPECT_EQ(error_of([] {
              parse_map_json(R"([{"start": -1, "length": 1, "depth": 0, "zero": true, "data": false}])");
            }),
            "qemu-img map entry 0: field \"start\" is not an unsigned integer (got -1)");
  EXPECT_EQ(error_of([] {
              parse_map_json(R"([{"start": 0, "length": 1, "depth": 0, "zero": "yes", "data": false}])");
            }),
            "qemu-img map entry 0: field \"zero\" is not a boolean (got \"yes\")");
  EXPECT_EQ(error_of([] {
              parse_map_json(R"([{"start": 0, "length": 1, "depth": 0.5, "zero": true, "data": false}])");
            }),
            "qemu-img map entry 0: field \"depth\" is not an integer (got 0.5)");
}

TEST(ParseMapJson, NonArrayOrNonObjectIsRejected) {
  EXPECT_EQ(error_of([] { parse_map_json(R"({"start": 0})"); }), "qemu-img map: expected a JSON array, got object");
  EXPECT_EQ(error_of([] { parse_map_json("[1]"); }), "qemu-img map entry 0: expected a JSON object, got number");
}

TEST(ParseInfoJson, ReadsABackingChainTopFirst) {
  auto chain = parse_info_chain_json(kSeedInfoChain);
  ASSERT_EQ(chain.size(), 2u);
  const ImageInfo& top = chain[0];
  EXPECT_EQ(top.filename, "top.qcow2");
  EXPECT_EQ(top.format, "qcow2");
  EXPECT_EQ(top.virtual_size, 262144u);
  EXPECT_EQ(top.actual_size, 401408u);
  EXPECT_EQ(top.cluster_size, 65536u);
  EXPECT_EQ(top.backing_filename, "base.raw");
  EXPECT_EQ(top.full_backing_filename, "base.raw");
  EXPECT_EQ(top.backing_format, "raw");
  EXPECT_EQ(top.compat, "1.1");
  EXPECT_EQ(top.extended_l2, false);
  EXPECT_FALSE(top.dirty);
  const ImageInfo& base = chain[1];
  EXPECT_EQ(base.filename, "base.raw");
  EXPECT_EQ(base.format, "raw");
  EXPECT_FALSE(base.cluster_size.has_value());
  EXPECT_FALSE(base.backing_filename.has_value());
  EXPECT_FALSE(base.compat.has_value());
}

TEST(ParseInfoJson, ReadsCompatAndExtendedL2) {
  ImageInfo old = parse_info_json(kCompat010Info);
  EXPECT_EQ(old.compat, "0.10");
  EXPECT_FALSE(old.extended_l2.has_value());
  ImageInfo ext = parse_info_json(kExtendedL2Info);
  EXPECT_EQ(ext.compat, "1.1");
  EXPECT_EQ(ext.extended_l2, true);
  EXPECT_EQ(ext.cluster_size, 131072u);
}

TEST(ParseInfoJson, MissingOrMalformedFieldsAreNamed) {
  EXPECT_EQ(error_of([] { parse_info_json(R"({"filename": "a", "format": "raw"})"); }),
            "qemu-img info: missing field \"virtual-size\"");
  EXPECT_EQ(error_of([] { parse_info_chain_json(R"([{"filename": "a", "virtual-size": 1}])"); }),
            "qemu-img info image 0: missing field \"format\"");
  EXPECT_EQ(error_of([] {
              parse_info_json(
                  R"({"filename": "a", "format": "qcow2", "virtual-size": 1, "format-specific": {"type": "qcow2", "data": {}}})");
            }),
            "qemu-img info format-specific data: missing field \"compat\"");
  EXPECT_NE(error_of([] { parse_info_json("{\"filename\": "); }).find("qemu-img info: output is not valid JSON"),
            std::string::npos);
  EXPECT_EQ(error_of([] { parse_info_chain_json(kCompat010Info); }),
            "qemu-img info --backing-chain: expected a JSON array, got object");
}

}  // namespace
}  // namespace chaincheck::impl
