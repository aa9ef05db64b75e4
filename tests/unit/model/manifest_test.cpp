// The shapes of real checkpoints: for each released model, its config.json and the name, shape and
// dtype of every tensor in its files (tests/data/manifests/, from architecture.md 7-8 and the
// public configs) go through seek's config parser and the loader's tensor check
// (check_model_tensors, the first thing Model::load runs) through a WeightSource that has shapes
// but no data. Every tensor seek needs must be in the file with the
// right shape, and every tensor in the file must be one seek knows (FP8 scales: the block grid of
// their weight).
#include <gtest/gtest.h>
#include <zlib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "formats/model_config.h"
#include "core/error.h"
#include "model/tensor_specs.h"
#include "model/weight_source.h"

namespace seek {
namespace {

std::string read_maybe_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files too
  if (f == nullptr) return {};
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

struct Entry {
  std::vector<int64_t> shape;
  std::string dtype;
};

// A checkpoint known by its header alone: names and shapes, no bytes.
class ManifestSource final : public WeightSource {
 public:
  ManifestSource(ModelConfig config, const std::map<std::string, Entry>& tensors, std::string name)
      : tensors_(tensors) {
    config_ = std::move(config);
    path_ = std::move(name);
  }
  bool is_gguf() const override { return false; }
  bool has(const std::string& n) const override { return tensors_.count(n) != 0; }
  std::vector<int64_t> shape_of(const std::string& n) const override { return tensors_.at(n).shape; }

 protected:
  Tensor load(const std::string& n) const override { SEEK_FAIL(path_ << ": manifest has no data for " << n); }

 private:
  const std::map<std::string, Entry>& tensors_;
};

void check_manifest(const std::string& file, int64_t expected_count) {
  const std::string path = std::string(SEEK_SOURCE_DIR) + "/tests/data/manifests/" + file;
  const std::string text = read_maybe_gz(path);
  ASSERT_FALSE(text.empty()) << "cannot read " << path;
  const nlohmann::json m = nlohmann::json::parse(text);
  const ModelConfig config = config_from_hf_json(m.at("config").dump(), file);
  std::map<std::string, Entry> files;
  for (const auto& t : m.at("tensors")) files[t.at("name")] = Entry{t.at("shape").get<std::vector<int64_t>>(), t.at("dtype")};
  EXPECT_EQ(static_cast<int64_t>(files.size()), expected_count) << file;

  const ManifestSource source(config, files, file);
  EXPECT_NO_THROW(check_model_tensors(source));
  const std::vector<TensorSpec> specs = model_tensor_specs(config, /*include_mtp=*/true);
  std::map<std::string, const TensorSpec*> wanted;
  for (const TensorSpec& s : specs) {
    wanted[s.name] = &s;
    auto it = files.find(s.name);
    ASSERT_NE(it, files.end()) << file << ": seek needs '" << s.name << "', absent from the checkpoint";
    EXPECT_EQ(it->second.shape, s.shape) << file << ": " << s.name;
  }
  const std::string scale_suffix = "_scale_inv";
  for (const auto& [name, entry] : files) {
    if (wanted.count(name)) continue;
    ASSERT_GT(name.size(), scale_suffix.size()) << name;
    ASSERT_EQ(name.substr(name.size() - scale_suffix.size()), scale_suffix) << file << ": unknown tensor " << name;
    const std::string weight = name.substr(0, name.size() - scale_suffix.size());
    ASSERT_TRUE(files.count(weight)) << name;
    EXPECT_EQ(files[weight].dtype, "F8_E4M3") << name;
    ASSERT_TRUE(config.quantization_config.has_value()) << file;
    const auto& w = files[weight].shape;
    const int64_t br = config.quantization_config->weight_block_rows, bc = config.quantization_config->weight_block_cols;
    EXPECT_EQ(entry.shape, (std::vector<int64_t>{(w[0] + br - 1) / br, (w[1] + bc - 1) / bc})) << name;
  }
}

TEST(Manifest, DeepSeekV2Lite) { check_manifest("DeepSeek-V2-Lite.json.gz", 5291); }
TEST(Manifest, DeepSeekV3) { check_manifest("DeepSeek-V3.json.gz", 91991); }
TEST(Manifest, DeepSeekR1) { check_manifest("DeepSeek-R1.json.gz", 91991); }
TEST(Manifest, R1DistillQwen1_5B) { check_manifest("DeepSeek-R1-Distill-Qwen-1.5B.json", 339); }
TEST(Manifest, R1DistillQwen7B) { check_manifest("DeepSeek-R1-Distill-Qwen-7B.json", 339); }
TEST(Manifest, R1DistillLlama8B) { check_manifest("DeepSeek-R1-Distill-Llama-8B.json", 291); }

}  // namespace
}  // namespace seek
