#include "formats/model_config.h"

#include "core/error.h"

namespace seek {

std::string_view architecture_hf_name(Architecture arch) {
  switch (arch) {
    case Architecture::kDeepseekV2: return "DeepseekV2ForCausalLM";
    case Architecture::kDeepseekV3: return "DeepseekV3ForCausalLM";
    case Architecture::kQwen2: return "Qwen2ForCausalLM";
    case Architecture::kLlama: return "LlamaForCausalLM";
  }
  return "?";
}

std::string_view architecture_gguf_name(Architecture arch) {
  switch (arch) {
    case Architecture::kDeepseekV2:
    case Architecture::kDeepseekV3: return "deepseek2";
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kLlama: return "llama";
  }
  return "?";
}

std::string_view rope_scaling_type_name(RopeScalingType type) {
  switch (type) {
    case RopeScalingType::kNone: return "none";
    case RopeScalingType::kYarn: return "yarn";
    case RopeScalingType::kLlama3: return "llama3";
    case RopeScalingType::kLinear: return "linear";
  }
  return "?";
}

std::string_view scoring_func_name(ScoringFunc func) {
  switch (func) {
    case ScoringFunc::kSoftmax: return "softmax";
    case ScoringFunc::kSigmoid: return "sigmoid";
  }
  return "?";
}

std::string_view topk_method_name(TopkMethod method) {
  switch (method) {
    case TopkMethod::kGreedy: return "greedy";
    case TopkMethod::kGroupLimitedGreedy: return "group_limited_greedy";
    case TopkMethod::kNoauxTc: return "noaux_tc";
  }
  return "?";
}

bool ModelConfig::is_moe_layer(int64_t layer_idx) const {
  return has_moe() && layer_idx >= first_k_dense_replace && layer_idx % moe_layer_freq == 0;
}

namespace {

// Upper bound for any size or count: keeps products of two fields far from int64 overflow and every
// field writable as a GGUF u32.
constexpr int64_t kMaxDim = int64_t{1} << 30;
constexpr double kMinReal = 1e-30;
constexpr double kMaxReal = 1e30;

struct Checker {
  const std::string& source;

  void positive(const char* field, int64_t v) const {
    SEEK_CHECK(v > 0, source << ": " << field << " = " << v << " must be > 0");
    SEEK_CHECK(v <= kMaxDim, source << ": " << field << " = " << v << " is larger than " << kMaxDim);
  }
  void non_negative(const char* field, int64_t v) const {
    SEEK_CHECK(v >= 0, source << ": " << field << " = " << v << " must be >= 0");
    SEEK_CHECK(v <= kMaxDim, source << ": " << field << " = " << v << " is larger than " << kMaxDim);
  }
  // Real-valued settings are stored as f32 in GGUF; the range keeps them finite and non-zero there.
  void positive(const char* field, double v) const {
    // Written so that NaN fails too.
    SEEK_CHECK(v >= kMinReal && v <= kMaxReal, source << ": " << field << " = " << v << " must be in ["
                                                      << kMinReal << ", " << kMaxReal << "]");
  }
  void non_negative(const char* field, double v) const {
    SEEK_CHECK(v == 0 || (v >= kMinReal && v <= kMaxReal), source << ": " << field << " = " << v
                                                                  << " must be 0 or in [" << kMinReal << ", "
                                                                  << kMaxReal << "]");
  }
  void token_id(const char* field, int64_t id, int64_t vocab) const {
    SEEK_CHECK(id >= 0 && id < vocab,
               source << ": " << field << " = " << id << " is outside the vocabulary [0, " << vocab << ")");
  }
};

void validate_rope_scaling(const RopeScaling& rs, const Checker& c) {
  switch (rs.type) {
    case RopeScalingType::kNone: return;
    case RopeScalingType::kLinear: c.positive("rope_scaling.factor", rs.factor); return;
    case RopeScalingType::kYarn:
      c.positive("rope_scaling.factor", rs.factor);
      c.positive("rope_scaling.original_max_position_embeddings", rs.original_max_position_embeddings);
      c.positive("rope_scaling.beta_fast", rs.beta_fast);
      c.positive("rope_scaling.beta_slow", rs.beta_slow);
      SEEK_CHECK(rs.beta_fast > rs.beta_slow, c.source
                                                  << ": rope_scaling.beta_fast = " << rs.beta_fast
                                                  << " must be > rope_scaling.beta_slow = " << rs.beta_slow);
      c.non_negative("rope_scaling.mscale", rs.mscale);
      c.non_negative("rope_scaling.mscale_all_dim", rs.mscale_all_dim);
      return;
    case RopeScalingType::kLlama3:
      c.positive("rope_scaling.factor", rs.factor);
      c.positive("rope_scaling.original_max_position_embeddings", rs.original_max_position_embeddings);
      c.positive("rope_scaling.low_freq_factor", rs.low_freq_factor);
      c.positive("rope_scaling.high_freq_factor", rs.high_freq_factor);
      // The smoothing ramp divides by (high - low).
      SEEK_CHECK(rs.high_freq_factor > rs.low_freq_factor,
                 c.source << ": rope_scaling.high_freq_factor = " << rs.high_freq_factor
                          << " must be > rope_scaling.low_freq_factor = " << rs.low_freq_factor);
      return;
  }
}

void validate_moe(const ModelConfig& m, const Checker& c) {
  c.positive("n_routed_experts", m.n_routed_experts);
  c.non_negative("n_shared_experts", m.n_shared_experts);
  c.positive("num_experts_per_tok", m.num_experts_per_tok);
  SEEK_CHECK(m.num_experts_per_tok <= m.n_routed_experts,
             c.source << ": num_experts_per_tok = " << m.num_experts_per_tok
                      << " must be <= n_routed_experts = " << m.n_routed_experts);
  c.positive("moe_intermediate_size", m.moe_intermediate_size);
  c.non_negative("first_k_dense_replace", m.first_k_dense_replace);
  SEEK_CHECK(m.first_k_dense_replace <= m.num_hidden_layers,
             c.source << ": first_k_dense_replace = " << m.first_k_dense_replace
                      << " must be <= num_hidden_layers = " << m.num_hidden_layers);
  c.positive("moe_layer_freq", m.moe_layer_freq);
  c.positive("n_group", m.n_group);
  c.positive("topk_group", m.topk_group);
  SEEK_CHECK(m.topk_group <= m.n_group,
             c.source << ": topk_group = " << m.topk_group << " must be <= n_group = " << m.n_group);
  SEEK_CHECK(m.n_routed_experts % m.n_group == 0, c.source
                                                      << ": n_routed_experts = " << m.n_routed_experts
                                                      << " must be divisible by n_group = " << m.n_group);
  if (m.topk_method != TopkMethod::kGreedy) {
    // Group-limited routing picks top-k among the experts of topk_group groups only.
    const int64_t reachable = m.topk_group * (m.n_routed_experts / m.n_group);
    SEEK_CHECK(m.num_experts_per_tok <= reachable,
               c.source << ": num_experts_per_tok = " << m.num_experts_per_tok
                        << " must be <= topk_group * (n_routed_experts / n_group) = " << reachable
                        << " for topk_method " << topk_method_name(m.topk_method));
  }
  c.positive("routed_scaling_factor", m.routed_scaling_factor);
}

}  // namespace

void validate_config(const ModelConfig& m, const std::string& source_name) {
  const Checker c{source_name};
  c.positive("vocab_size", m.vocab_size);
  c.positive("hidden_size", m.hidden_size);
  c.positive("intermediate_size", m.intermediate_size);
  c.positive("num_hidden_layers", m.num_hidden_layers);
  c.positive("num_attention_heads", m.num_attention_heads);
  c.positive("num_key_value_heads", m.num_key_value_heads);
  SEEK_CHECK(m.num_attention_heads % m.num_key_value_heads == 0,
             source_name << ": num_attention_heads = " << m.num_attention_heads
                         << " must be divisible by num_key_value_heads = " << m.num_key_value_heads);
  c.positive("rms_norm_eps", m.rms_norm_eps);
  c.positive("rope_theta", m.rope_theta);
  c.positive("max_position_embeddings", m.max_position_embeddings);
  validate_rope_scaling(m.rope_scaling, c);
  if (m.bos_token_id) c.token_id("bos_token_id", *m.bos_token_id, m.vocab_size);
  for (int64_t id : m.eos_token_ids) c.token_id("eos_token_id", id, m.vocab_size);
  c.non_negative("num_nextn_predict_layers", m.num_nextn_predict_layers);

  if (m.has_mla()) {
    if (m.q_lora_rank) c.positive("q_lora_rank", *m.q_lora_rank);
    c.positive("kv_lora_rank", m.kv_lora_rank);
    c.positive("qk_nope_head_dim", m.qk_nope_head_dim);
    c.positive("qk_rope_head_dim", m.qk_rope_head_dim);
    c.positive("v_head_dim", m.v_head_dim);
    // RoPE rotates pairs of channels.
    SEEK_CHECK(m.qk_rope_head_dim % 2 == 0,
               source_name << ": qk_rope_head_dim = " << m.qk_rope_head_dim << " must be even");
    if (m.has_moe()) validate_moe(m, c);
  } else {
    c.positive("head_dim", m.head_dim);
    SEEK_CHECK(m.head_dim % 2 == 0,
               source_name << ": head_dim = " << m.head_dim << " must be even (RoPE rotates pairs)");
    SEEK_CHECK(!m.has_moe(), source_name << ": n_routed_experts = " << m.n_routed_experts << " but "
                                         << architecture_hf_name(m.architecture) << " has no MoE layers");
    SEEK_CHECK(!m.q_lora_rank, source_name << ": q_lora_rank is set but "
                                           << architecture_hf_name(m.architecture) << " has no MLA");
  }
  if (m.quantization_config) {
    c.positive("quantization_config.weight_block_size[0]", m.quantization_config->weight_block_rows);
    c.positive("quantization_config.weight_block_size[1]", m.quantization_config->weight_block_cols);
    SEEK_CHECK(m.quantization_config->fmt == "e4m3", source_name << ": quantization_config.fmt = \""
                                                                 << m.quantization_config->fmt
                                                                 << "\" is not supported (only e4m3)");
  }
}

}  // namespace seek
