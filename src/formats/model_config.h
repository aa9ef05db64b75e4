// ModelConfig: every architecture hyper-parameter of the supported model families
// (architecture.md 7), read from a Hugging Face config.json or from GGUF metadata, validated once.
//
// Architecture settings only: they come from the model file and never change after load. Runtime
// settings (threads, context length in use, batch, cache) live elsewhere (DESIGN.md).
//
// Missing keys take the defaults of Hugging Face's config classes (DeepseekV2Config,
// DeepseekV3Config, Qwen2Config, LlamaConfig), except the model's size (vocab_size, hidden_size,
// intermediate_size, num_hidden_layers, num_attention_heads): HF's defaults there are some other
// model's dimensions, so a file without them is refused instead of loaded with wrong shapes.
// YaRN / llama3 rope parameters are kept raw; the model derives frequencies and scales from them.
//
// GGUF: llama.cpp's key names (architecture.md 8.5) for deepseek2 / qwen2 / llama. What llama.cpp
// does not store (llama3 rope factors, which it bakes into a rope_freqs tensor; mscale when it
// differs from mscale_all_dim; a list of eos ids; ...) goes into "seek.*" keys that llama.cpp
// ignores, so HF -> GGUF -> config loses nothing seek needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seek {

class GgufFile;
class GgufMetadata;
class GgufWriter;

enum class Architecture {
  kDeepseekV2,  // DeepseekV2ForCausalLM: MLA + DeepSeekMoE (softmax router); V2, V2-Lite
  kDeepseekV3,  // DeepseekV3ForCausalLM: MLA + DeepSeekMoE (sigmoid router, noaux_tc) + MTP; V3, R1
  kQwen2,       // Qwen2ForCausalLM: dense GQA with q/k/v biases; R1-Distill-Qwen
  kLlama,       // LlamaForCausalLM: dense GQA; R1-Distill-Llama
};

enum class RopeScalingType {
  kNone,    // plain RoPE
  kYarn,    // YaRN frequency ramp + attention temperature (architecture.md 3, 2.3)
  kLlama3,  // Llama 3.1 smooth per-frequency scaling
  kLinear,  // positions divided by factor
};

enum class ScoringFunc { kSoftmax, kSigmoid };                     // MoE router score
enum class TopkMethod { kGreedy, kGroupLimitedGreedy, kNoauxTc };  // MoE expert selection

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  double factor = 1.0;                           // context extension factor s (yarn/llama3/linear)
  int64_t original_max_position_embeddings = 0;  // pre-extension context L0 (yarn, llama3)
  double beta_fast = 32.0;                       // yarn: rotations at which the ramp starts
  double beta_slow = 1.0;                        // yarn: rotations at which the ramp ends
  double mscale = 1.0;                           // yarn: cos/sin attention factor numerator
  double mscale_all_dim = 0.0;                   // yarn: softmax temperature; 0 = none (2.3)
  double low_freq_factor = 1.0;                  // llama3: wavelengths above L0/low are divided by factor
  double high_freq_factor = 4.0;                 // llama3: wavelengths below L0/high are kept

  bool operator==(const RopeScaling&) const = default;
};

// DeepSeek-V3's FP8 checkpoints (architecture.md 8.3): e4m3 weights with f32 weight_scale_inv blocks.
struct Fp8Quantization {
  int64_t weight_block_rows = 128;            // weight_block_size[0]: output rows per scale
  int64_t weight_block_cols = 128;            // weight_block_size[1]: input columns per scale
  std::string fmt = "e4m3";                   // element format; only e4m3 exists
  std::string activation_scheme = "dynamic";  // activations quantised per token at run time

  bool operator==(const Fp8Quantization&) const = default;
};

struct ModelConfig {
  Architecture architecture = Architecture::kLlama;  // from "architectures"[0] / general.architecture
  int64_t vocab_size = 0;                            // rows of embed_tokens and lm_head
  int64_t hidden_size = 0;                           // d, the residual stream width
  int64_t intermediate_size = 0;    // dense FFN inner width (MoE models: leading dense layers)
  int64_t num_hidden_layers = 0;    // transformer blocks (V3: without the MTP layer)
  int64_t num_attention_heads = 0;  // query heads H
  int64_t num_key_value_heads = 0;  // GQA key/value heads (MLA models: = H, unused)
  int64_t head_dim = 0;             // dense models: per-head q/k/v width (default hidden/heads); 0 for MLA
  double rms_norm_eps = 1e-6;       // RMSNorm epsilon
  double rope_theta = 10000.0;      // RoPE base b
  RopeScaling rope_scaling;         // context extension; type kNone when absent
  int64_t max_position_embeddings = 0;  // trained context length
  bool tie_word_embeddings = false;     // lm_head shares embed_tokens' weights
  bool attention_bias = false;          // q/k/v/o projections have biases (Llama flag)
  bool qkv_bias = false;                // q/k/v (not o) projections have biases (always on for Qwen2)
  std::optional<int64_t> bos_token_id;  // beginning-of-sequence id, if the model has one
  std::vector<int64_t> eos_token_ids;   // end-of-sequence ids (HF allows one or a list)

  // MLA (DeepSeek V2/V3 only; architecture.md 2).
  std::optional<int64_t> q_lora_rank;  // q down-projection rank; nullopt = direct q_proj (V2-Lite)
  int64_t kv_lora_rank = 0;            // compressed KV latent width (512)
  int64_t qk_nope_head_dim = 0;        // per-head q/k part without RoPE (128)
  int64_t qk_rope_head_dim = 0;        // per-head decoupled RoPE part (64)
  int64_t v_head_dim = 0;              // per-head value width (128)

  // DeepSeekMoE (architecture.md 5); n_routed_experts == 0 means every layer is dense.
  int64_t n_routed_experts = 0;                      // routed experts per MoE layer
  int64_t n_shared_experts = 0;                      // always-on shared experts per MoE layer
  int64_t num_experts_per_tok = 0;                   // routed experts chosen per token (top-k)
  int64_t moe_intermediate_size = 0;                 // inner width of one expert
  int64_t first_k_dense_replace = 0;                 // leading layers that stay dense
  int64_t moe_layer_freq = 1;                        // after those, every moe_layer_freq-th layer is MoE
  ScoringFunc scoring_func = ScoringFunc::kSoftmax;  // router score function
  TopkMethod topk_method = TopkMethod::kGreedy;      // expert selection rule
  int64_t n_group = 1;                               // expert groups for group-limited routing
  int64_t topk_group = 1;                            // groups a token may pick experts from
  bool norm_topk_prob = false;                       // renormalise the chosen experts' weights to sum 1
  double routed_scaling_factor = 1.0;                // multiplier on the routed experts' combined output

  int64_t num_nextn_predict_layers = 0;                // MTP modules stored after the main layers (V3: 1)
  std::optional<Fp8Quantization> quantization_config;  // set for FP8 block-quantised checkpoints
  std::string torch_dtype;  // dtype the weights were saved in ("bfloat16", ...); empty if unstated

  bool has_mla() const {
    return architecture == Architecture::kDeepseekV2 || architecture == Architecture::kDeepseekV3;
  }
  bool has_moe() const { return n_routed_experts > 0; }
  // Whether block `layer_idx` uses the MoE FFN (HF: n_routed_experts set, layer >= first_k_dense_replace,
  // layer % moe_layer_freq == 0).
  bool is_moe_layer(int64_t layer_idx) const;
  // MLA per-head query/key width: qk_nope_head_dim + qk_rope_head_dim (192).
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }

  bool operator==(const ModelConfig&) const = default;
};

std::string_view architecture_hf_name(Architecture arch);       // "DeepseekV2ForCausalLM", ...
std::string_view architecture_gguf_name(Architecture arch);     // "deepseek2", "qwen2", "llama"
std::string_view rope_scaling_type_name(RopeScalingType type);  // "none", "yarn", "llama3", "linear"
std::string_view scoring_func_name(ScoringFunc func);           // "softmax", "sigmoid"
std::string_view topk_method_name(TopkMethod method);  // "greedy", "group_limited_greedy", "noaux_tc"

// Checks every field and the relations between them; errors read
// "<source>: num_attention_heads = 0 must be > 0". Called by every loader below.
void validate_config(const ModelConfig& config, const std::string& source_name);

// Hugging Face config.json text -> validated config; `source_name` prefixes every error.
ModelConfig config_from_hf_json(const std::string& json_text, const std::string& source_name);
// Reads <dir>/config.json.
ModelConfig load_hf_config(const std::string& dir);
// The inverse: a config.json that config_from_hf_json reads back to an equal config.
std::string config_to_hf_json(const ModelConfig& config);

// GGUF metadata (llama.cpp keys + seek.* extras) -> validated config. Tensor presence settles what
// llama.cpp infers from tensors (tied embeddings, Llama biases) when the seek.* keys are absent.
ModelConfig config_from_gguf(const GgufFile& file);
// Writes general.architecture and every hyper-parameter key; tokenizer keys are the tokenizer's job
// (only tokenizer.ggml.bos/eos_token_id are written here).
void config_to_gguf_metadata(const ModelConfig& config, GgufWriter& writer);

}  // namespace seek
