// Malformed GGUF files: every fault must be a seek::Error naming the file and the problem.
#include <gtest/gtest.h>

#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "formats_test_util.h"

namespace seek {
namespace {

using test::Bytes;

constexpr const char* kName = "bad.gguf";

GgufFile parse_bytes(const std::string& bytes) {
  return GgufFile::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), kName);
}

Bytes header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
  Bytes b;
  b.raw("GGUF", 4).u32(version).u64(n_tensors).u64(n_kv);
  return b;
}

void tensor_info(Bytes& b, const std::string& name, const std::vector<uint64_t>& ne, uint32_t type,
                 uint64_t offset) {
  b.str(name).u32(static_cast<uint32_t>(ne.size()));
  for (uint64_t d : ne) b.u64(d);
  b.u32(type).u64(offset);
}

// The header + infos in `b`, padded to 32, followed by `data_bytes` of data.
std::string finish(Bytes b, size_t data_bytes) { return b.pad_to(32).zeros(data_bytes).str(); }

#define EXPECT_BAD_GGUF(bytes, ...) EXPECT_SEEK_ERROR(parse_bytes(bytes), kName, __VA_ARGS__)

TEST(GgufMalformed, ValidHandMadeFileParses) {
  Bytes b = header(2, 1);
  b.str("general.architecture").u32(8).str("llama");
  tensor_info(b, "a", {4, 2}, 0, 0);  // f32 [2, 4]: 32 bytes
  tensor_info(b, "b", {32}, 8, 32);   // one q8_0 block: 34 bytes
  const GgufFile f = parse_bytes(finish(b, 66));
  EXPECT_EQ(f.tensor_info("a").shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(f.tensor_info("b").nbytes, 34u);
}

TEST(GgufMalformed, MagicAndVersion) {
  EXPECT_BAD_GGUF("GG", "too small");
  EXPECT_BAD_GGUF(finish(Bytes().raw("GGML", 4).u32(3).u64(0).u64(0), 0), "not a GGUF file");
  EXPECT_BAD_GGUF(finish(header(0, 0, 1), 0), "version 1");
  EXPECT_BAD_GGUF(finish(header(0, 0, 4), 0), "unsupported GGUF version 4");
  EXPECT_BAD_GGUF(finish(header(0, 0, 0x03000000u), 0), "big-endian");
  EXPECT_EQ(parse_bytes(finish(header(0, 0, 2), 0)).version(), 2u);
  EXPECT_BAD_GGUF(Bytes().raw("GGUF", 4).u32(3).u64(0).str(), "truncated", "metadata count");
}

TEST(GgufMalformed, AbsurdCountsAreCappedByFileSize) {
  EXPECT_BAD_GGUF(finish(header(0, uint64_t{1} << 60), 0), "metadata count");
  EXPECT_BAD_GGUF(finish(header(uint64_t{1} << 60, 0), 0), "tensor count");
  Bytes key = header(0, 1);
  key.u64(uint64_t{1} << 62).raw("abc", 3);
  EXPECT_BAD_GGUF(finish(key, 0), "truncated", "metadata key #0");
  Bytes arr = header(0, 1);
  arr.str("k").u32(9).u32(4).u64(uint64_t{1} << 61);
  EXPECT_BAD_GGUF(finish(arr, 0), "'k'", "more than the file can hold");
  Bytes strs = header(0, 1);
  strs.str("k").u32(9).u32(8).u64(3).str("a").u64(1000);
  EXPECT_BAD_GGUF(finish(strs, 0), "'k'", "truncated");
}

TEST(GgufMalformed, BadValues) {
  Bytes type = header(0, 1);
  type.str("k").u32(13).u32(0);
  EXPECT_BAD_GGUF(finish(type, 0), "'k'", "13", "not a GGUF value type");
  Bytes elem = header(0, 1);
  elem.str("k").u32(9).u32(77).u64(0);
  EXPECT_BAD_GGUF(finish(elem, 0), "'k'", "77");
  Bytes boolean = header(0, 1);
  boolean.str("k").u32(7).u8(2);
  EXPECT_BAD_GGUF(finish(boolean, 0), "'k'", "bool with byte value 2");
  Bytes deep = header(0, 1);
  deep.str("k").u32(9);
  for (int i = 0; i < 10; ++i) deep.u32(9).u64(1);
  EXPECT_BAD_GGUF(finish(deep, 64), "'k'", "nests arrays deeper");
  Bytes dup = header(0, 2);
  dup.str("k").u32(4).u32(1).str("k").u32(4).u32(2);
  EXPECT_BAD_GGUF(finish(dup, 0), "'k'", "twice");
}

TEST(GgufMalformed, Alignment) {
  for (uint32_t bad : {0u, 48u}) {
    Bytes b = header(0, 1);
    b.str("general.alignment").u32(4).u32(bad);
    EXPECT_BAD_GGUF(finish(b, 0), "general.alignment", "not a power of two");
  }
  Bytes typed = header(0, 1);
  typed.str("general.alignment").u32(10).u64(32);
  EXPECT_BAD_GGUF(finish(typed, 0), "general.alignment", "expected u32");
  Bytes unaligned = header(1, 1);
  unaligned.str("general.alignment").u32(4).u32(64);
  tensor_info(unaligned, "t", {4}, 0, 32);
  EXPECT_BAD_GGUF(finish(unaligned, 128), "'t'", "offset 32", "alignment 64");
}

TEST(GgufMalformed, TensorShapesAndTypes) {
  Bytes dims = header(1, 0);
  tensor_info(dims, "t", {1, 1, 1, 1, 1}, 0, 0);
  EXPECT_BAD_GGUF(finish(dims, 32), "'t'", "5 dimensions");
  Bytes huge = header(1, 0);
  tensor_info(huge, "t", {uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0);
  EXPECT_BAD_GGUF(finish(huge, 32), "'t'", "too large");
  Bytes zero_hides_huge = header(1, 0);
  tensor_info(zero_hides_huge, "t", {8, uint64_t{1} << 62, 0}, 0, 0);
  EXPECT_BAD_GGUF(finish(zero_hides_huge, 32), "'t'", "too large");
  Bytes k_quant = header(1, 0);
  tensor_info(k_quant, "blk.0.attn_q.weight", {256}, 18, 0);
  EXPECT_BAD_GGUF(finish(k_quant, 256), "'blk.0.attn_q.weight'", "ggml type 18 (IQ3_XXS)");
  Bytes ragged_k = header(1, 0);
  tensor_info(ragged_k, "t", {288, 2}, 12, 0);
  EXPECT_BAD_GGUF(finish(ragged_k, 1024), "'t'", "row length 288", "Q4_K block size 256");
  Bytes ragged_q5 = header(1, 0);
  tensor_info(ragged_q5, "t", {48, 2}, 6, 0);
  EXPECT_BAD_GGUF(finish(ragged_q5, 128), "'t'", "row length 48", "Q5_0 block size 32");
  Bytes ragged_iq4 = header(1, 0);
  tensor_info(ragged_iq4, "t", {160, 2}, 23, 0);  // an iq4_nl row (llama.cpp's fallback) typed iq4_xs
  EXPECT_BAD_GGUF(finish(ragged_iq4, 512), "'t'", "row length 160", "IQ4_XS block size 256");
  Bytes unknown = header(1, 0);
  tensor_info(unknown, "t", {4}, 999, 0);
  EXPECT_BAD_GGUF(finish(unknown, 32), "'t'", "ggml type 999 (unknown)");
  Bytes ragged = header(1, 0);
  tensor_info(ragged, "t", {33, 2}, 8, 0);
  EXPECT_BAD_GGUF(finish(ragged, 128), "'t'", "row length 33", "Q8_0 block size 32");
  // No dimensions: a scalar, one value, which a block type cannot hold (the fuzzer's find: its view was
  // a whole block while the bounds check counted none).
  Bytes scalar_block = header(1, 0);
  tensor_info(scalar_block, "t", {}, 13, 0);
  EXPECT_BAD_GGUF(finish(scalar_block, 32), "'t'", "row length 1", "Q5_K block size 256");
  Bytes scalar = header(1, 0);
  tensor_info(scalar, "t", {}, 0, 0);
  const GgufFile f = parse_bytes(finish(scalar, 32));
  EXPECT_EQ(f.tensor("t").nbytes(), 4u);
}

TEST(GgufMalformed, OffsetsAndOverlaps) {
  Bytes past = header(1, 0);
  tensor_info(past, "t", {16}, 0, 0);  // 64 bytes
  EXPECT_BAD_GGUF(finish(past, 63), "'t'", "past the end");
  Bytes far = header(1, 0);
  tensor_info(far, "t", {1}, 0, ~uint64_t{0} - 31);
  EXPECT_BAD_GGUF(finish(far, 64), "'t'");
  Bytes overlap = header(2, 0);
  tensor_info(overlap, "a", {16}, 0, 0);  // [0, 64)
  tensor_info(overlap, "b", {8}, 0, 32);  // [32, 64)
  EXPECT_BAD_GGUF(finish(overlap, 64), "'a'", "'b'", "overlap");
  Bytes dup = header(2, 0);
  tensor_info(dup, "a", {8}, 0, 0);
  tensor_info(dup, "a", {8}, 0, 32);
  EXPECT_BAD_GGUF(finish(dup, 64), "'a'", "twice");
  // Empty tensors take no space; a file with only empty tensors may end before its data section.
  Bytes empty = header(2, 0);
  tensor_info(empty, "e", {0, 4}, 0, 0);
  tensor_info(empty, "f", {0}, 1, 0);
  const std::string bytes = empty.str();
  EXPECT_EQ(parse_bytes(bytes).tensor("e").numel(), 0);
}

TEST(GgufMalformed, EveryTruncationIsACleanError) {
  test::TempDir dir;
  GgufWriter w;
  w.metadata().set("general.architecture", GgufValue::string("llama"));
  w.metadata().set("n", GgufValue::u32(5));
  w.metadata().set("f", GgufValue::f32(1.5f));
  w.metadata().set("toks", GgufValue::string_array({"a", "bc"}));
  w.metadata().set("ids", GgufValue::int_array(GgufType::kI32, {1, 2, 3}));
  w.add_tensor("w", test::random_tensor(DType::kQ8_0, {2, 32}, 1));
  w.add_tensor("b", test::random_tensor(DType::kF32, {3}, 2));
  w.write(dir.file("m.gguf"));
  const std::string good = test::read_bytes(dir.file("m.gguf"));
  const GgufFile f = parse_bytes(good);
  const uint64_t data_end = f.data_offset() + f.tensor_info("b").offset + f.tensor_info("b").nbytes;
  for (size_t n = 0; n < good.size(); ++n) {
    const std::string cut = good.substr(0, n);
    const std::string msg = test::error_of([&] { parse_bytes(cut); });
    if (n < data_end) {
      EXPECT_NE(msg.find(kName), std::string::npos) << "prefix " << n << ": " << msg;
    } else {
      EXPECT_EQ(msg, "<no error>") << "only the final padding is missing";
    }
  }
}

TEST(GgufMalformed, OpenNamesThePath) {
  test::TempDir dir;
  const std::string path = dir.file("x.gguf");
  test::write_bytes(path, "GGUF");
  EXPECT_SEEK_ERROR(GgufFile::open(path), path.c_str(), "truncated");
}

}  // namespace
}  // namespace seek
