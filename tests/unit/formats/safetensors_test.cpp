// safetensors round trips: single files (every dtype), sharded checkpoints, directory layouts.
#include "formats/safetensors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "formats/safetensors_checkpoint.h"
#include "formats_test_util.h"

namespace seek {
namespace {

using test::random_tensor;
using test::same_bytes;
using test::TempDir;

TEST(Safetensors, RoundTripEveryDtypeByteExact) {
  TempDir dir;
  const DType dtypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kF8E4M3, DType::kI8,
                          DType::kU8,  DType::kI16, DType::kI32,  DType::kI64,    DType::kF64};
  std::vector<NamedTensor> tensors;
  uint32_t seed = 1;
  for (DType dt : dtypes)
    tensors.emplace_back("t." + std::string(dtype_name(dt)), random_tensor(dt, {3, 5}, seed++));
  tensors.emplace_back("scalar", random_tensor(DType::kF32, {}, seed++));
  tensors.emplace_back("empty", Tensor::empty(DType::kBF16, {0, 7}));
  tensors.emplace_back("four_d", random_tensor(DType::kBF16, {2, 3, 4, 5}, seed++));
  const std::string path = dir.file("model.safetensors");
  write_safetensors(path, tensors, {{"note", "hello"}});

  const SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.tensors().size(), tensors.size());
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.metadata().at("note"), "hello");
  for (const auto& [name, expected] : tensors) {
    const Tensor got = file.tensor(name);
    EXPECT_TRUE(same_bytes(got, expected)) << name;
    // Writers order data largest element first, so every tensor is naturally aligned.
    EXPECT_EQ(reinterpret_cast<uintptr_t>(got.data()) % dtype_block_bytes(got.dtype()), 0u) << name;
  }
  EXPECT_EQ(file.tensor("scalar").ndim(), 0);
  EXPECT_EQ(file.tensor("empty").shape(), (std::vector<int64_t>{0, 7}));
}

TEST(Safetensors, HeaderIsSpacePaddedTo8BytesWithFormatPt) {
  TempDir dir;
  const std::string path = dir.file("a.safetensors");
  write_safetensors(path, {{"x", random_tensor(DType::kF32, {1}, 7)}});
  const std::string bytes = test::read_bytes(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.find("{\"__metadata__\":{\"format\":\"pt\"}"), 0u) << header;
  EXPECT_EQ(header.back() == ' ' || header.back() == '}', true);
  const auto json = nlohmann::json::parse(header);
  EXPECT_EQ(json["x"]["dtype"], "F32");
  EXPECT_EQ(json["x"]["data_offsets"], (nlohmann::json{0, 4}));
  EXPECT_EQ(bytes.size(), 8 + n + 4);
}

TEST(Safetensors, ViewsAreZeroCopyAndKeepTheMappingAlive) {
  TempDir dir;
  const std::string path = dir.file("a.safetensors");
  const Tensor original = random_tensor(DType::kBF16, {64, 32}, 3);
  write_safetensors(path, {{"w", original}});
  Tensor view;
  {
    const SafetensorsFile file = SafetensorsFile::open(path);
    view = file.tensor("w");
    const Tensor again = file.tensor("w");
    EXPECT_EQ(view.data(), again.data());  // both point into the one mapping
  }
  std::filesystem::remove(path);  // the mapping outlives the file object and the directory entry
  EXPECT_TRUE(same_bytes(view, original));
}

TEST(Safetensors, NonContiguousInputIsWrittenAsItsValues) {
  TempDir dir;
  const Tensor full = random_tensor(DType::kF32, {4, 6}, 9);
  const Tensor cols = full.narrow(1, 2, 3);  // rows of 3 out of 6: not contiguous
  ASSERT_FALSE(cols.is_contiguous());
  const std::string path = dir.file("a.safetensors");
  write_safetensors(path, {{"cols", cols}});
  EXPECT_TRUE(same_bytes(SafetensorsFile::open(path).tensor("cols"), cols.Copy()));
}

TEST(Safetensors, FailedWriteLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("a.safetensors");
  const Tensor q = Tensor::empty(DType::kQ8_0, {2, 32});
  const std::vector<NamedTensor> bad = {{"ok", random_tensor(DType::kF32, {2}, 1)}, {"q", q}};
  EXPECT_SEEK_ERROR(write_safetensors(path, bad), "q8_0");
  const std::vector<NamedTensor> dup = {{"a", q.to_f32()}, {"a", q.to_f32()}};
  EXPECT_SEEK_ERROR(write_safetensors(path, dup), "'a'", "twice");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Safetensors, MissingTensorErrorNamesFileAndTensor) {
  TempDir dir;
  const std::string path = dir.file("a.safetensors");
  write_safetensors(path, {{"x", random_tensor(DType::kF32, {1}, 1)}});
  const SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_FALSE(file.has("y"));
  EXPECT_SEEK_ERROR(file.tensor("y"), path.c_str(), "'y'");
  EXPECT_SEEK_ERROR(SafetensorsFile::open(dir.file("nope.safetensors")), "nope.safetensors");
}

std::vector<NamedTensor> layer_tensors(int n_layers) {
  std::vector<NamedTensor> out;
  for (int l = 0; l < n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    out.emplace_back(p + "self_attn.q_proj.weight", random_tensor(DType::kBF16, {16, 8}, 100 + l));
    out.emplace_back(p + "input_layernorm.weight", random_tensor(DType::kF32, {8}, 200 + l));
  }
  return out;
}

TEST(SafetensorsCheckpoint, ShardedRoundTripWithIndex) {
  TempDir dir;
  const auto tensors = layer_tensors(5);  // 5 x (256 + 32) bytes
  ShardedWriteOptions options;
  options.max_shard_bytes = 600;
  const auto written = write_safetensors_sharded(dir.path(), tensors, options);
  ASSERT_GE(written.size(), 3u);
  EXPECT_EQ(std::filesystem::path(written.back()).filename(), "model.safetensors.index.json");
  EXPECT_EQ(std::filesystem::path(written[0]).filename().string().substr(0, 12), "model-00001-");

  const auto index = nlohmann::json::parse(test::read_bytes(written.back()));
  EXPECT_EQ(index["metadata"]["total_size"], 5 * (256 + 32));
  EXPECT_EQ(index["weight_map"].size(), tensors.size());

  const SafetensorsCheckpoint ckpt = SafetensorsCheckpoint::open(dir.path());
  EXPECT_EQ(ckpt.names().size(), tensors.size());
  EXPECT_EQ(ckpt.files().size(), written.size() - 1);
  for (const auto& [name, expected] : tensors) {
    EXPECT_TRUE(same_bytes(ckpt.tensor(name), expected)) << name;
    EXPECT_EQ(index["weight_map"][name], std::filesystem::path(ckpt.file_of(name)).filename().string());
  }
  EXPECT_SEEK_ERROR(ckpt.tensor("lm_head.weight"), dir.path().c_str(), "'lm_head.weight'");
}

TEST(SafetensorsCheckpoint, SingleShardIsModelSafetensorsAndReplacesStaleIndex) {
  TempDir dir;
  ShardedWriteOptions options;
  options.max_shard_bytes = 100;
  write_safetensors_sharded(dir.path(), layer_tensors(2), options);  // sharded: writes an index
  const auto written = write_safetensors_sharded(dir.path(), layer_tensors(1));
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(std::filesystem::path(written[0]).filename(), "model.safetensors");
  EXPECT_FALSE(std::filesystem::exists(dir.file("model.safetensors.index.json")));
  const SafetensorsCheckpoint ckpt = SafetensorsCheckpoint::open(dir.path());
  EXPECT_EQ(ckpt.names().size(), 2u);
  // A path to the file itself works as well.
  EXPECT_EQ(SafetensorsCheckpoint::open(written[0]).names().size(), 2u);
}

TEST(SafetensorsCheckpoint, DirectoryWithoutIndexUsesEveryShard) {
  TempDir dir;
  write_safetensors(dir.file("part-a.safetensors"), {{"a", random_tensor(DType::kF32, {2}, 1)}});
  write_safetensors(dir.file("part-b.safetensors"), {{"b", random_tensor(DType::kF32, {2}, 2)}});
  test::write_bytes(dir.file("notes.txt"), "not a shard");
  const SafetensorsCheckpoint ckpt = SafetensorsCheckpoint::open(dir.path());
  EXPECT_EQ(ckpt.names(), (std::vector<std::string>{"a", "b"}));

  write_safetensors(dir.file("part-c.safetensors"), {{"a", random_tensor(DType::kF32, {2}, 3)}});
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.path()), "'a'", "part-a.safetensors",
                    "part-c.safetensors");
}

TEST(SafetensorsCheckpoint, BadIndexErrorsNameIndexTensorAndShard) {
  TempDir dir;
  write_safetensors(dir.file("s1.safetensors"), {{"a", random_tensor(DType::kF32, {2}, 1)}});
  const std::string index = dir.file("model.safetensors.index.json");

  test::write_bytes(index, R"({"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}})");
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.path()), "index.json", "'b'", "s2.safetensors",
                    "does not exist");

  test::write_bytes(index, R"({"weight_map": {"a": "s1.safetensors", "c": "s1.safetensors"}})");
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.path()), "'c'", "s1.safetensors", "no such tensor");

  test::write_bytes(index, R"({"weight_map": {"a": "../s1.safetensors"}})");
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.path()), "'a'", "not a file name inside");

  test::write_bytes(index, R"({"weight_map": {"a": 3}})");
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.path()), "index.json", "'a'");

  test::write_bytes(index, R"({"metadata": {}})");
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.path()), "index.json", "weight_map");

  test::write_bytes(index, "{not json");
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.path()), "index.json", "not valid JSON");
}

TEST(SafetensorsCheckpoint, EmptyOrMissingDirectory) {
  TempDir dir;
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.path()), dir.path().c_str(),
                    "no model.safetensors.index.json");
  EXPECT_SEEK_ERROR(SafetensorsCheckpoint::open(dir.file("missing")), "missing", "no such file");
}

}  // namespace
}  // namespace seek
