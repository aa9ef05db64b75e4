// WeightSource: the tensors of a model file, looked up by Hugging Face name, whatever the file.
//
//   - a Hugging Face directory (config.json + safetensors, sharded or not), or one .safetensors file
//     next to a config.json;
//   - a GGUF file (llama.cpp names, mapped through weight_names.h).
//
// Tensors are views of the mmap'd files (never copied). FP8 e4m3 weights carry their 128x128
// weight_scale_inv blocks (core/block_scales.h), which the matmul kernels apply as they read the FP8
// bytes. A GGUF's split attn_k_b/attn_v_b MLA tensors are rebuilt into kv_b_proj's layout (f32) only
// for the naive attention form.
// get() checks the shape and names the tensor, the expected and the found shape when they differ.
//
// Immutable after open; safe to read from several threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "formats/model_config.h"

namespace seek {

// What a model path names, by the rule WeightSource::open follows: a directory (Hugging Face layout),
// a .gguf file, or one .safetensors file; anything else fails naming the path (missing, or not a model).
enum class ModelPathKind { kDirectory, kGguf, kSafetensors };
ModelPathKind model_path_kind(const std::string& path);

class WeightSource {
 public:
  // `path`: a directory with config.json, or a .gguf file.
  static std::unique_ptr<WeightSource> open(const std::string& path);
  virtual ~WeightSource() = default;

  const ModelConfig& config() const { return config_; }
  const std::string& path() const { return path_; }
  virtual bool is_gguf() const = 0;

  // Whether the file holds `hf_name` (in any of the forms above).
  virtual bool has(const std::string& hf_name) const = 0;
  // The shape get() would return, read from the file's header only (no tensor data is touched).
  // Requires has(hf_name).
  virtual std::vector<int64_t> shape_of(const std::string& hf_name) const = 0;
  // The tensor `hf_name` with shape `shape` (outermost first). Errors name file, tensor and shapes.
  Tensor get(const std::string& hf_name, const std::vector<int64_t>& shape) const;
  // llama.cpp's per-frequency RoPE divisors (GGUF "rope_freqs.weight", written for Llama 3.1 scaling
  // instead of config keys); nullopt when the file has none.
  virtual std::optional<Tensor> rope_freq_factors() const { return std::nullopt; }
  // The same, converted to a contiguous f32 copy (norm weights, biases: small and read per token).
  Tensor get_f32(const std::string& hf_name, const std::vector<int64_t>& shape) const;
  // A GGUF's split MLA up-projection for `kv_b_hf_name` (a layer's self_attn.kv_b_proj.weight), as
  // stored: attn_k_b [H, rank, nope] (W_UKᵀ per head) and attn_v_b [H, v, rank] (W_UV per head), the
  // operands of the absorbed form. nullopt when the file stores kv_b_proj whole (or is not a GGUF).
  struct MlaSplit {
    Tensor k_b, v_b;
  };
  virtual std::optional<MlaSplit> mla_split(const std::string& /*kv_b_hf_name*/) const { return std::nullopt; }

 protected:
  virtual Tensor load(const std::string& hf_name) const = 0;  // as stored, after the conversions above
  ModelConfig config_;
  std::string path_;
};

// Checks, from headers only, that `source` holds every tensor the model needs (model_tensor_specs)
// with the right shape; the MTP module may be absent as a whole. Throws one error listing the first
// missing or mis-shaped tensors with expected and found shapes. The model loader runs this first.
void check_model_tensors(const WeightSource& source);

}  // namespace seek
