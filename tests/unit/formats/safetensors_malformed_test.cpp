// Malformed safetensors files: every fault must be a seek::Error naming the file and the problem.
#include <gtest/gtest.h>

#include "formats/safetensors.h"
#include "formats_test_util.h"

namespace seek {
namespace {

constexpr const char* kName = "bad.safetensors";

// A file with `header` as its JSON and `data_bytes` zero bytes of data.
std::string make_file(const std::string& header, size_t data_bytes) {
  test::Bytes b;
  b.u64(header.size()).raw(header.data(), header.size()).zeros(data_bytes);
  return b.str();
}

SafetensorsFile parse_bytes(const std::string& bytes) {
  return SafetensorsFile::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), kName);
}

#define EXPECT_BAD_HEADER(header, data_bytes, ...) \
  EXPECT_SEEK_ERROR(parse_bytes(make_file(header, data_bytes)), kName, __VA_ARGS__)

TEST(SafetensorsMalformed, ValidMinimalFileParses) {
  const SafetensorsFile f =
      parse_bytes(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
  ASSERT_EQ(f.tensors().size(), 1u);
  EXPECT_EQ(f.tensors()[0].shape, (std::vector<int64_t>{2}));
}

TEST(SafetensorsMalformed, LengthPrefix) {
  EXPECT_SEEK_ERROR(parse_bytes(std::string(5, '\0')), kName, "too small");
  test::Bytes b;
  b.u64(100).raw("{}", 2);
  EXPECT_SEEK_ERROR(parse_bytes(b.str()), kName, "header length 100 exceeds the file size");
  test::Bytes huge;
  huge.u64(~uint64_t{0}).raw("{}", 2);
  EXPECT_SEEK_ERROR(parse_bytes(huge.str()), kName, "exceeds the file size");
}

TEST(SafetensorsMalformed, HeaderNotAJsonObject) {
  EXPECT_BAD_HEADER("{\"a\": ", 0, "not valid JSON");
  EXPECT_BAD_HEADER("\xff\xfe", 0, "not valid JSON");
  EXPECT_BAD_HEADER("[1, 2]", 0, "expected an object");
  EXPECT_BAD_HEADER("", 0, "not valid JSON");
}

TEST(SafetensorsMalformed, PaddingWithSpacesOrNulsIsAccepted) {
  EXPECT_EQ(parse_bytes(make_file("{}      ", 0)).tensors().size(), 0u);
  EXPECT_EQ(parse_bytes(make_file(std::string("{}\0\0\0", 5), 0)).tensors().size(), 0u);
}

TEST(SafetensorsMalformed, MissingOrIllTypedFields) {
  EXPECT_BAD_HEADER(R"({"a": 3})", 0, "'a'", "expected an object");
  EXPECT_BAD_HEADER(R"({"a": {"shape": [1], "data_offsets": [0, 4]}})", 4, "'a'", "no \"dtype\"");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "data_offsets": [0, 4]}})", 4, "'a'", "no \"shape\"");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "shape": [1]}})", 4, "'a'", "no \"data_offsets\"");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": 7, "shape": [1], "data_offsets": [0, 4]}})", 4, "'a'", "\"dtype\"");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})", 4, "'a'", "\"shape\"");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4, "'a'",
                    "non-negative");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4, "'a'",
                    "non-negative");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4, "'a'",
                    "data_offsets");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, -4]}})", 4, "'a'",
                    "data_offsets");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": "0-4"}})", 4, "'a'",
                    "data_offsets");
  EXPECT_BAD_HEADER(R"({"": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4, "empty name");
}

TEST(SafetensorsMalformed, Metadata) {
  EXPECT_BAD_HEADER(R"({"__metadata__": [1]})", 0, "__metadata__", "expected an object");
  EXPECT_BAD_HEADER(R"({"__metadata__": {"format": 1}})", 0, "__metadata__", "'format'", "expected a string");
  const SafetensorsFile f = parse_bytes(make_file(R"({"__metadata__": {"format": "pt", "x": "y"}})", 0));
  EXPECT_EQ(f.metadata().size(), 2u);
}

TEST(SafetensorsMalformed, Dtypes) {
  for (const char* dt : {"BOOL", "F8_E5M2", "U16", "U32", "U64"}) {
    const std::string header =
        std::string(R"({"w": {"dtype": ")") + dt + R"(", "shape": [1], "data_offsets": [0, 1]}})";
    const std::string expected = std::string("unsupported dtype ") + dt + " for tensor 'w'";
    EXPECT_BAD_HEADER(header, 8, expected.c_str());
  }
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "F31", "shape": [1], "data_offsets": [0, 4]}})", 4,
                    "unknown dtype 'F31'", "'w'");
}

TEST(SafetensorsMalformed, ShapesAndSizes) {
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "F32", "shape": [1,1,1,1,1], "data_offsets": [0, 4]}})", 4, "'w'",
                    "5 dimensions");
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})",
                    4, "'w'", "too large");
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 4]}})", 4,
                    "'w'", "too large");
  // Zero-sized dimensions cannot hide a huge one (strides would overflow).
  EXPECT_BAD_HEADER(
      R"({"w": {"dtype": "F32", "shape": [0, 4611686018427387904, 8], "data_offsets": [0, 0]}})", 0, "'w'",
      "too large");
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 8]}})", 16, "'w'",
                    "hold 8 bytes", "needs 12");
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", 16, "'w'",
                    "end before");
}

TEST(SafetensorsMalformed, OffsetsPastEndAndOverlaps) {
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 12, "'w'",
                    "past the end");
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [18446744073709551615, 0]}})", 12,
                    "'w'");
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                    12, "'a'", "'b'", "overlap");
  // A tensor inside a larger one.
  EXPECT_BAD_HEADER(R"({"a": {"dtype": "U8", "shape": [16], "data_offsets": [0, 16]},
                        "b": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]},
                        "c": {"dtype": "U8", "shape": [2], "data_offsets": [8, 10]}})",
                    16, "overlap");
  // Empty tensors overlap nothing; gaps are allowed.
  const SafetensorsFile f =
      parse_bytes(make_file(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
      "e": {"dtype": "U8", "shape": [0], "data_offsets": [2, 2]},
      "b": {"dtype": "U8", "shape": [2], "data_offsets": [6, 8]}})",
                            8));
  EXPECT_EQ(f.tensors().size(), 3u);
}

TEST(SafetensorsMalformed, DuplicateNames) {
  EXPECT_BAD_HEADER(R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
                        "w": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}})",
                    2, "'w'", "twice");
}

TEST(SafetensorsMalformed, EveryTruncationIsACleanError) {
  const std::string good = make_file(
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}})",
      22);
  ASSERT_EQ(parse_bytes(good).tensors().size(), 2u);
  for (size_t n = 0; n < good.size(); ++n) {
    const std::string cut = good.substr(0, n);
    const std::string msg = test::error_of([&] { parse_bytes(cut); });
    EXPECT_NE(msg.find(kName), std::string::npos) << "prefix " << n << ": " << msg;
  }
}

TEST(SafetensorsMalformed, OpenNamesThePath) {
  test::TempDir dir;
  const std::string path = dir.file("broken.safetensors");
  test::write_bytes(path, make_file("[]", 0));
  EXPECT_SEEK_ERROR(SafetensorsFile::open(path), path.c_str(), "expected an object");
}

}  // namespace
}  // namespace seek
