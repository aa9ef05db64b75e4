#include "model/weight_source.h"

#include <sys/stat.h>

#include <sstream>

#include "core/error.h"
#include "core/quant.h"
#include "formats/gguf.h"
#include "formats/safetensors_checkpoint.h"
#include "model/mla_layout.h"
#include "model/tensor_specs.h"
#include "model/weight_names.h"

namespace seek {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class SafetensorsSource final : public WeightSource {
 public:
  SafetensorsSource(const std::string& dir, const std::string& weights_path)
      : checkpoint_(SafetensorsCheckpoint::open(weights_path)) {
    path_ = dir;
    config_ = load_hf_config(dir);
  }
  bool is_gguf() const override { return false; }
  bool has(const std::string& hf_name) const override { return checkpoint_.has(hf_name); }
  std::vector<int64_t> shape_of(const std::string& hf_name) const override { return checkpoint_.info(hf_name).shape; }

 protected:
  Tensor load(const std::string& hf_name) const override {
    Tensor t = checkpoint_.tensor(hf_name);
    if (t.dtype() != DType::kF8E4M3) return t;
    const std::string scale_name = hf_name + "_scale_inv";
    SEEK_CHECK(checkpoint_.has(scale_name),
               path_ << ": FP8 tensor '" << hf_name << "' has no '" << scale_name << "' block scales");
    SEEK_CHECK(config_.quantization_config.has_value(),
               path_ << ": FP8 tensor '" << hf_name << "' but config.json has no quantization_config");
    const Fp8Quantization& q = *config_.quantization_config;
    return fp8_with_block_scales(t, checkpoint_.tensor(scale_name), q.weight_block_rows, q.weight_block_cols,
                                 path_ + ": " + hf_name);
  }

 private:
  SafetensorsCheckpoint checkpoint_;
};

class GgufSource final : public WeightSource {
 public:
  explicit GgufSource(const std::string& path) : file_(GgufFile::open(path)) {
    path_ = path;
    config_ = config_from_gguf(file_);
  }
  bool is_gguf() const override { return true; }

  std::optional<Tensor> rope_freq_factors() const override {
    if (!file_.has_tensor("rope_freqs.weight")) return std::nullopt;
    return file_.tensor("rope_freqs.weight").to_f32();
  }

  std::vector<int64_t> shape_of(const std::string& hf_name) const override {
    if (split_kv_b(hf_name)) {
      const std::string stem = split_stem(hf_name);
      const std::vector<int64_t>& k = file_.tensor_info(stem + "attn_k_b.weight").shape;  // [H, rank, nope]
      const std::vector<int64_t>& v = file_.tensor_info(stem + "attn_v_b.weight").shape;  // [H, v, rank]
      if (k.size() != 3 || v.size() != 3) return k;
      return {k[0] * (k[2] + v[1]), k[1]};
    }
    int expert = -1;
    const std::string g = *gguf_name_for(hf_name, &expert);
    std::vector<int64_t> shape = file_.tensor_info(g).shape;
    if (expert >= 0 && !shape.empty()) shape.erase(shape.begin());  // one expert of the stack
    return shape;
  }

  bool has(const std::string& hf_name) const override {
    if (split_kv_b(hf_name)) return true;
    int expert = -1;
    const std::optional<std::string> g = gguf_name_for(hf_name, &expert);
    return g && file_.has_tensor(*g);
  }

 protected:
  Tensor load(const std::string& hf_name) const override {
    if (split_kv_b(hf_name)) return rebuild_kv_b(hf_name);
    int expert = -1;
    const std::optional<std::string> g = gguf_name_for(hf_name, &expert);
    SEEK_CHECK(g && file_.has_tensor(*g), path_ << ": missing tensor '" << (g ? *g : hf_name) << "' (" << hf_name
                                                << ")");
    Tensor t = file_.tensor(*g);
    if (expert < 0) return t;
    SEEK_CHECK(t.ndim() == 3 && expert < t.dim(0),
               path_ << ": stacked expert tensor '" << *g << "' " << t.shape_string() << " has no expert " << expert);
    return t.select(0, expert);
  }

  std::optional<MlaSplit> mla_split(const std::string& kv_b_hf_name) const override {
    if (!split_kv_b(kv_b_hf_name)) return std::nullopt;
    const std::string stem = split_stem(kv_b_hf_name);
    return MlaSplit{file_.tensor(stem + "attn_k_b.weight"), file_.tensor(stem + "attn_v_b.weight")};
  }

 private:
  // Newer llama.cpp files store kv_b_proj split per head as attn_k_b [H, 512, 128] (W_UK transposed)
  // and attn_v_b [H, 128, 512] (architecture.md 8.5).
  bool split_kv_b(const std::string& hf_name) const {
    if (!ends_with(hf_name, "self_attn.kv_b_proj.weight")) return false;
    const std::optional<std::string> g = gguf_name_for(hf_name, nullptr);
    if (!g || file_.has_tensor(*g)) return false;
    const std::string stem = split_stem(hf_name);
    return file_.has_tensor(stem + "attn_k_b.weight") && file_.has_tensor(stem + "attn_v_b.weight");
  }

  // "blk.N." of a layer's kv_b_proj (the prefix of its attn_k_b / attn_v_b).
  static std::string split_stem(const std::string& kv_b_hf_name) {
    const std::string g = *gguf_name_for(kv_b_hf_name, nullptr);
    return g.substr(0, g.size() - std::string("attn_kv_b.weight").size());
  }

  Tensor rebuild_kv_b(const std::string& hf_name) const {
    const std::string stem = split_stem(hf_name);
    const MlaSplit split = *mla_split(hf_name);
    const Tensor& k_b = split.k_b;  // [H, rank, nope]
    const Tensor& v_b = split.v_b;  // [H, v, rank]
    SEEK_CHECK(k_b.ndim() == 3 && v_b.ndim() == 3 && k_b.dim(0) == v_b.dim(0) && k_b.dim(1) == v_b.dim(2),
               path_ << ": '" << stem << "attn_k_b.weight' " << k_b.shape_string() << " and 'attn_v_b.weight' "
                     << v_b.shape_string() << " do not form an MLA kv_b projection");
    return mla_kv_b_from_split(k_b, v_b);
  }

  GgufFile file_;
};

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

ModelPathKind model_path_kind(const std::string& path) {
  if (is_directory(path)) return ModelPathKind::kDirectory;
  if (ends_with(path, ".gguf")) return ModelPathKind::kGguf;
  if (ends_with(path, ".safetensors")) return ModelPathKind::kSafetensors;
  struct stat st {};
  SEEK_CHECK(::stat(path.c_str(), &st) == 0, path << ": no such model file or directory");
  SEEK_FAIL(path << ": not a model (expected a Hugging Face directory with config.json, or a .gguf file)");
}

std::unique_ptr<WeightSource> WeightSource::open(const std::string& path) {
  switch (model_path_kind(path)) {
    case ModelPathKind::kDirectory: return std::make_unique<SafetensorsSource>(path, path);
    case ModelPathKind::kGguf: return std::make_unique<GgufSource>(path);
    case ModelPathKind::kSafetensors: break;
  }
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return std::make_unique<SafetensorsSource>(dir, path);
}

Tensor WeightSource::get(const std::string& hf_name, const std::vector<int64_t>& shape) const {
  SEEK_CHECK(has(hf_name), path_ << ": missing tensor '" << hf_name << "' (expected shape " << shape_string(shape)
                                 << ")");
  Tensor t = load(hf_name);
  SEEK_CHECK(t.shape() == shape, path_ << ": tensor '" << hf_name << "' has shape " << t.shape_string()
                                       << ", expected " << shape_string(shape));
  return t;
}

void check_model_tensors(const WeightSource& source) {
  const ModelConfig& c = source.config();
  std::vector<TensorSpec> specs = model_tensor_specs(c, /*include_mtp=*/true);
  // MTP modules are optional at inference (architecture.md 6; GGUF never carries them).
  bool has_mtp = true;
  for (const TensorSpec& s : specs)
    if (s.is_mtp && !source.has(s.name)) has_mtp = false;
  std::ostringstream problems;
  int count = 0;
  for (const TensorSpec& s : specs) {
    if (s.is_mtp && !has_mtp) continue;
    std::string problem;
    if (!source.has(s.name)) {
      problem = "missing '" + s.name + "' (expected shape " + shape_string(s.shape) + ")";
    } else if (const std::vector<int64_t> found = source.shape_of(s.name); found != s.shape) {
      problem = "'" + s.name + "' has shape " + shape_string(found) + ", expected " + shape_string(s.shape);
    }
    if (problem.empty()) continue;
    if (count < 5) problems << (count ? "; " : "") << problem;
    ++count;
  }
  SEEK_CHECK(count == 0, source.path() << ": " << count << " tensor" << (count == 1 ? "" : "s")
                                       << " do not match the config: " << problems.str()
                                       << (count > 5 ? "; ..." : ""));
}

Tensor WeightSource::get_f32(const std::string& hf_name, const std::vector<int64_t>& shape) const {
  return get(hf_name, shape).to_f32();
}

}  // namespace seek
