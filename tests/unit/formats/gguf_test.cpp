// GGUF: writer/reader round trips for every tensor type and metadata type, the exact byte layout
// llama.cpp expects, typed metadata access, and writer-side validation.
#include "formats/gguf.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "formats/gguf_writer.h"
#include "formats_test_util.h"

namespace seek {
namespace {

using test::random_tensor;
using test::same_bytes;
using test::TempDir;

TEST(Gguf, RoundTripEveryTensorTypeByteExact) {
  TempDir dir;
  GgufWriter w;
  w.metadata().set("general.architecture", GgufValue::string("llama"));
  std::vector<std::pair<std::string, Tensor>> tensors = {
      {"f32", random_tensor(DType::kF32, {3, 5}, 1)},
      {"f16", random_tensor(DType::kF16, {7}, 2)},
      {"bf16", random_tensor(DType::kBF16, {2, 3, 4}, 3)},
      {"q8_0", random_tensor(DType::kQ8_0, {4, 64}, 4)},
      {"q4_0", random_tensor(DType::kQ4_0, {3, 96}, 5)},
      {"q4_K", random_tensor(DType::kQ4_K, {2, 512}, 7)},
      {"q5_K", random_tensor(DType::kQ5_K, {3, 256}, 8)},
      {"q6_K", random_tensor(DType::kQ6_K, {1, 768}, 9)},
      {"q4_1", random_tensor(DType::kQ4_1, {2, 64}, 10)},
      {"q5_0", random_tensor(DType::kQ5_0, {5, 128}, 11)},
      {"q5_1", random_tensor(DType::kQ5_1, {3, 32}, 12)},
      {"q2_K", random_tensor(DType::kQ2_K, {2, 256}, 13)},
      {"q3_K", random_tensor(DType::kQ3_K, {3, 512}, 14)},
      {"iq4_nl", random_tensor(DType::kIQ4_NL, {3, 160}, 15)},
      {"iq4_xs", random_tensor(DType::kIQ4_XS, {2, 512}, 16)},
      {"i32", random_tensor(DType::kI32, {2, 2, 2, 2}, 6)},
      {"empty", Tensor::empty(DType::kF32, {0, 4})},
  };
  for (const auto& [name, t] : tensors) w.add_tensor(name, t);
  const std::string path = dir.file("m.gguf");
  w.write(path);

  const GgufFile f = GgufFile::open(path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_offset() % 32, 0u);
  ASSERT_EQ(f.tensors().size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, expected] = tensors[i];
    EXPECT_EQ(f.tensors()[i].name, name);  // file order = insertion order
    EXPECT_EQ(f.tensors()[i].offset % 32, 0u);
    EXPECT_TRUE(same_bytes(f.tensor(name), expected)) << name;
  }
  EXPECT_EQ(f.tensor_info("q8_0").ggml_type, 8u);
  EXPECT_EQ(f.tensor_info("q4_0").ggml_type, 2u);
  EXPECT_EQ(f.tensor_info("bf16").ggml_type, 30u);
  EXPECT_EQ(f.tensor_info("q4_0").nbytes, 3u * 3 * 18);
  EXPECT_EQ(f.tensor_info("q4_K").ggml_type, 12u);
  EXPECT_EQ(f.tensor_info("q5_K").ggml_type, 13u);
  EXPECT_EQ(f.tensor_info("q6_K").ggml_type, 14u);
  EXPECT_EQ(f.tensor_info("q4_K").nbytes, 2u * 2 * 144);
  EXPECT_EQ(f.tensor_info("q5_K").nbytes, 3u * 176);
  EXPECT_EQ(f.tensor_info("q6_K").nbytes, 3u * 210);
  // The file ends with the last tensor's padding, as gguf-py and ggml write it.
  EXPECT_EQ(std::filesystem::file_size(path) % 32, 0u);
}

TEST(Gguf, ByteLayoutMatchesGgml) {
  TempDir dir;
  GgufWriter w;
  w.metadata().set("general.architecture", GgufValue::string("llama"));
  w.metadata().set("x", GgufValue::u32(7));
  const Tensor t = random_tensor(DType::kF32, {2, 3}, 11);
  w.add_tensor("t", t);
  const std::string path = dir.file("m.gguf");
  w.write(path);

  test::Bytes e;
  e.raw("GGUF", 4).u32(3).u64(1).u64(2);
  e.str("general.architecture").u32(8).str("llama");
  e.str("x").u32(4).u32(7);
  e.str("t").u32(2).u64(3).u64(2).u32(0).u64(0);  // ne innermost-first: [3, 2]
  e.pad_to(32).raw(t.data(), 24).pad_to(32);
  EXPECT_EQ(test::read_bytes(path), e.str());
}

TEST(Gguf, CustomAlignment) {
  TempDir dir;
  GgufWriter w;
  w.set_alignment(64);
  w.add_tensor("a", random_tensor(DType::kF16, {3}, 1));
  w.add_tensor("b", random_tensor(DType::kF16, {5}, 2));
  w.write(dir.file("m.gguf"));
  const GgufFile f = GgufFile::open(dir.file("m.gguf"));
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.metadata().get_int("general.alignment"), 64);
  EXPECT_EQ(f.tensor_info("b").offset, 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);
  w.set_alignment(32);
  EXPECT_FALSE(w.metadata().has("general.alignment"));
}

TEST(Gguf, MetadataOfEveryTypeRoundTrips) {
  TempDir dir;
  GgufWriter w;
  GgufMetadata& md = w.metadata();
  md.set("u8", GgufValue::u8(250));
  md.set("i8", GgufValue::i8(-5));
  md.set("u16", GgufValue::u16(65000));
  md.set("i16", GgufValue::i16(-30000));
  md.set("u32", GgufValue::u32(4000000000u));
  md.set("i32", GgufValue::i32(-2000000000));
  md.set("f32", GgufValue::f32(0.25f));
  md.set("bool", GgufValue::boolean(true));
  md.set("string", GgufValue::string("héllo"));
  md.set("u64", GgufValue::u64(~uint64_t{0}));
  md.set("i64", GgufValue::i64(-(int64_t{1} << 40)));
  md.set("f64", GgufValue::f64(1e-300));
  md.set("strings", GgufValue::string_array({"a", "", "ccc"}));
  md.set("ints", GgufValue::int_array(GgufType::kI32, {1, -2, 3}));
  md.set("floats", GgufValue::float_array(GgufType::kF32, {0.5, -1.5}));
  md.set("bools", GgufValue::int_array(GgufType::kBool, {1, 0}));
  md.set("nested", GgufValue::array_of_arrays(
                       {GgufValue::int_array(GgufType::kU8, {1, 2}), GgufValue::string_array({"x"})}));
  md.set("empty", GgufValue::int_array(GgufType::kU64, {}));
  w.write(dir.file("m.gguf"));

  const GgufFile f = GgufFile::open(dir.file("m.gguf"));
  const GgufMetadata& r = f.metadata();
  ASSERT_EQ(r.size(), md.size());
  for (size_t i = 0; i < md.size(); ++i) {
    EXPECT_EQ(r.entries()[i].first, md.entries()[i].first);
    EXPECT_TRUE(r.entries()[i].second == md.entries()[i].second) << md.entries()[i].first;
  }
  EXPECT_EQ(r.get_int("u8"), 250);
  EXPECT_EQ(r.get_int("i8"), -5);
  EXPECT_EQ(r.get_int("i16"), -30000);
  EXPECT_EQ(r.get_int("u32"), 4000000000);
  EXPECT_EQ(r.get_int("i64"), -(int64_t{1} << 40));
  EXPECT_EQ(r.get_float("f32"), 0.25);
  EXPECT_EQ(r.get_float("f64"), 1e-300);
  EXPECT_EQ(r.get_float("i32"), -2e9);  // integers read as numbers
  EXPECT_TRUE(r.get_bool("bool"));
  EXPECT_EQ(r.get_string("string"), "héllo");
  EXPECT_EQ(r.get_string_array("strings"), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(r.get_int_array("ints"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(r.get_float_array("floats"), (std::vector<double>{0.5, -1.5}));
  EXPECT_EQ(r.get_float_array("ints"), (std::vector<double>{1, -2, 3}));
  EXPECT_EQ(r.get_array("nested").arrays.size(), 2u);
  EXPECT_EQ(r.get_array("nested").arrays[1].strings[0], "x");
  EXPECT_EQ(r.get_int_array("empty").size(), 0u);
}

TEST(Gguf, TypedAccessorErrorsNameSourceKeyAndTypes) {
  GgufMetadata md("model.gguf");
  md.set("s", GgufValue::string("x"));
  md.set("n", GgufValue::u32(3));
  md.set("big", GgufValue::u64(~uint64_t{0}));
  md.set("arr", GgufValue::int_array(GgufType::kI32, {1}));
  EXPECT_SEEK_ERROR(md.get_int("missing"), "model.gguf", "'missing'", "is missing");
  EXPECT_SEEK_ERROR(md.get_int("s"), "model.gguf", "'s'", "type string", "expected an integer");
  EXPECT_SEEK_ERROR(md.get_string("n"), "'n'", "type u32", "expected a string");
  EXPECT_SEEK_ERROR(md.get_bool("n"), "'n'", "expected a bool");
  EXPECT_SEEK_ERROR(md.get_float("s"), "'s'", "expected a number");
  EXPECT_SEEK_ERROR(md.get_int("big"), "'big'", "too large");
  EXPECT_SEEK_ERROR(md.get_string_array("arr"), "'arr'", "array of i32", "expected an array of string");
  EXPECT_SEEK_ERROR(md.get_array("n"), "'n'", "expected an array");
  EXPECT_EQ(md.get_int_opt("missing"), std::nullopt);
  EXPECT_EQ(md.get_int_opt("n"), 3);
  EXPECT_SEEK_ERROR(md.get_int_opt("s"), "'s'");  // present with the wrong type is still an error
  EXPECT_SEEK_ERROR(md.add_unique("n", GgufValue::u8(1)), "'n'", "twice");
  md.set("n", GgufValue::u8(9));  // replaced in place
  EXPECT_EQ(md.entries()[1].first, "n");
  EXPECT_EQ(md.get_int("n"), 9);
  md.erase("s");
  EXPECT_FALSE(md.has("s"));
  EXPECT_EQ(md.get_int("n"), 9);
}

TEST(Gguf, ProducedTensorsAreMadeAtWriteTime) {
  TempDir dir;
  GgufWriter w;
  int calls = 0;
  const Tensor q = random_tensor(DType::kQ8_0, {2, 32}, 3);
  w.add_tensor("q", DType::kQ8_0, {2, 32}, [&] {
    ++calls;
    return q;
  });
  EXPECT_EQ(calls, 0);
  w.write(dir.file("m.gguf"));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(same_bytes(GgufFile::open(dir.file("m.gguf")).tensor("q"), q));
}

TEST(Gguf, FailedWriteLeavesNoFile) {
  TempDir dir;
  GgufWriter w;
  w.add_tensor("a", random_tensor(DType::kF32, {4}, 1));
  w.add_tensor("b", DType::kF32, {4}, [] { return Tensor::empty(DType::kF32, {5}); });
  EXPECT_SEEK_ERROR(w.write(dir.file("m.gguf")), "m.gguf", "'b'", "declared f32 [4]", "is f32 [5]");
  GgufWriter thrower;
  thrower.add_tensor("a", DType::kF32, {4}, []() -> Tensor { throw Error("quantiser failed"); });
  EXPECT_SEEK_ERROR(thrower.write(dir.file("m.gguf")), "quantiser failed");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Gguf, WriterRejectsWhatLlamaCppCannotRead) {
  GgufWriter w;
  w.add_tensor("ok", random_tensor(DType::kF32, {1}, 1));
  EXPECT_SEEK_ERROR(w.add_tensor("ok", random_tensor(DType::kF32, {1}, 1)), "'ok'", "twice");
  EXPECT_SEEK_ERROR(w.add_tensor(std::string(64, 'n'), random_tensor(DType::kF32, {1}, 1)), "64 bytes");
  EXPECT_SEEK_ERROR(w.add_tensor("fp8", random_tensor(DType::kF8E4M3, {4}, 1)), "f8_e4m3");
  EXPECT_SEEK_ERROR(w.add_tensor("", random_tensor(DType::kF32, {1}, 1)), "empty");
  EXPECT_SEEK_ERROR(w.add_tensor("q", DType::kQ4_0, {2, 48}, nullptr), "'q'", "48", "block size 32");
  EXPECT_SEEK_ERROR(w.set_alignment(48), "48", "power of two");
  EXPECT_EQ(w.num_tensors(), 1u);
}

TEST(Gguf, ZeroCopyViewsKeepTheMappingAlive) {
  TempDir dir;
  const Tensor t = random_tensor(DType::kBF16, {8, 8}, 5);
  GgufWriter w;
  w.add_tensor("t", t);
  w.write(dir.file("m.gguf"));
  Tensor view;
  {
    const GgufFile f = GgufFile::open(dir.file("m.gguf"));
    view = f.tensor("t");
    EXPECT_EQ(view.data(), f.tensor("t").data());
    EXPECT_SEEK_ERROR(f.tensor("u"), "m.gguf", "'u'");
  }
  std::filesystem::remove(dir.file("m.gguf"));
  EXPECT_TRUE(same_bytes(view, t));
}

TEST(Gguf, TypeNames) {
  EXPECT_EQ(ggml_type_name(12), "Q4_K");
  EXPECT_EQ(ggml_type_name(30), "BF16");
  EXPECT_EQ(ggml_type_name(1000), "unknown");
  EXPECT_SEEK_ERROR(dtype_from_ggml(16, "blk.0.ffn_up.weight", "m.gguf"), "m.gguf", "'blk.0.ffn_up.weight'",
                    "ggml type 16 (IQ2_XXS)");
  EXPECT_EQ(dtype_from_ggml(10, "t", "m.gguf"), DType::kQ2_K);
  EXPECT_EQ(dtype_from_ggml(11, "t", "m.gguf"), DType::kQ3_K);
  EXPECT_EQ(dtype_from_ggml(14, "t", "m.gguf"), DType::kQ6_K);
  EXPECT_EQ(dtype_from_ggml(3, "t", "m.gguf"), DType::kQ4_1);
  EXPECT_EQ(dtype_from_ggml(6, "t", "m.gguf"), DType::kQ5_0);
  EXPECT_EQ(dtype_from_ggml(7, "t", "m.gguf"), DType::kQ5_1);
  EXPECT_EQ(dtype_from_ggml(20, "t", "m.gguf"), DType::kIQ4_NL);
  EXPECT_EQ(dtype_from_ggml(23, "t", "m.gguf"), DType::kIQ4_XS);
  EXPECT_EQ(ggml_type_from_dtype(DType::kQ5_0), GgmlType::kQ5_0);
}

}  // namespace
}  // namespace seek
