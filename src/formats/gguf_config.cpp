// GGUF metadata <-> ModelConfig (declared in model_config.h). Key names are llama.cpp's
// (gguf-py/gguf/constants.py; architecture.md 8.5); "seek.*" keys carry what llama.cpp does not store.
#include <charconv>
#include <cstdlib>

#include "core/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "formats/model_config.h"

namespace seek {

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 30;  // as in validate_config: sizes stay far from overflow

// GGUF stores hyper-parameters as f32. Reading one back as the shortest decimal that rounds to the
// same f32 recovers the value the HF config spelled ("1e-06", not 9.99999997e-07), so that
// HF -> GGUF -> config gives back the same doubles.
double decimal_of_f32(double value) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf) - 1, static_cast<float>(value));
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}

class Reader {
 public:
  Reader(const GgufMetadata& md, std::string arch) : md_(md), arch_(std::move(arch)) {}

  std::string key(const char* suffix) const { return arch_ + "." + suffix; }
  const std::string& source() const { return md_.source(); }

  // A size or count: an integer in [0, kMaxDim].
  int64_t dim(const std::string& k) const {
    const int64_t v = md_.get_int(k);
    SEEK_CHECK(v >= 0 && v <= kMaxDim, source()
                                           << ": metadata key '" << k << "' = " << v << " is out of range");
    return v;
  }
  int64_t dim_or(const std::string& k, int64_t fallback) const { return md_.has(k) ? dim(k) : fallback; }
  std::optional<int64_t> dim_opt(const std::string& k) const {
    return md_.has(k) ? std::optional<int64_t>(dim(k)) : std::nullopt;
  }
  double real(const std::string& k) const {
    const double v = md_.get_float(k);
    return md_.find(k)->type == GgufType::kF32 ? decimal_of_f32(v) : v;
  }
  double real_or(const std::string& k, double fallback) const { return md_.has(k) ? real(k) : fallback; }
  bool bool_or(const std::string& k, bool fallback) const { return md_.get_bool_opt(k).value_or(fallback); }

  const GgufMetadata& md() const { return md_; }

 private:
  const GgufMetadata& md_;
  std::string arch_;
};

RopeScaling read_rope_scaling(const Reader& r, bool deepseek) {
  RopeScaling rs;
  const GgufMetadata& md = r.md();
  if (md.has("seek.rope.llama3.factor")) {
    // llama.cpp bakes llama3 scaling into a rope_freqs tensor; seek keeps the parameters.
    rs.type = RopeScalingType::kLlama3;
    rs.factor = r.real("seek.rope.llama3.factor");
    rs.low_freq_factor = r.real("seek.rope.llama3.low_freq_factor");
    rs.high_freq_factor = r.real("seek.rope.llama3.high_freq_factor");
    rs.original_max_position_embeddings = r.dim("seek.rope.llama3.original_context_length");
    return rs;
  }
  const std::string type = md.get_string_opt(r.key("rope.scaling.type")).value_or("none");
  if (type == "none") return rs;
  if (type == "linear") {
    rs.type = RopeScalingType::kLinear;
    rs.factor = r.real(r.key("rope.scaling.factor"));
    return rs;
  }
  SEEK_CHECK(type == "yarn", r.source() << ": " << r.key("rope.scaling.type") << " = \"" << type
                                        << "\" is not supported (none, linear, yarn)");
  rs.type = RopeScalingType::kYarn;
  rs.factor = r.real(r.key("rope.scaling.factor"));
  rs.original_max_position_embeddings = r.dim(r.key("rope.scaling.original_context_length"));
  rs.beta_fast = r.real_or(r.key("rope.scaling.yarn_beta_fast"), 32.0);
  rs.beta_slow = r.real_or(r.key("rope.scaling.yarn_beta_slow"), 1.0);
  if (deepseek) {
    // deepseek2 stores 0.1 * mscale_all_dim (architecture.md 3, TAG_DEEPSEEK2_YARN_LOG_MUL_FIX).
    const double log_mul = r.real_or(r.key("rope.scaling.yarn_log_multiplier"), 0.0);
    rs.mscale_all_dim = decimal_of_f32(log_mul * 10.0);
    rs.mscale = r.real_or("seek.rope.scaling.mscale", rs.mscale_all_dim);
  }
  return rs;
}

void read_mla_moe(const Reader& r, const GgufFile& file, ModelConfig& m) {
  const GgufMetadata& md = r.md();
  m.head_dim = 0;
  m.num_key_value_heads = m.num_attention_heads;  // llama.cpp writes 1 (MLA seen as MQA); HF says H
  m.q_lora_rank = r.dim_opt(r.key("attention.q_lora_rank"));
  m.kv_lora_rank = r.dim(r.key("attention.kv_lora_rank"));
  m.qk_rope_head_dim = r.dim(r.key("rope.dimension_count"));
  // Files written since llama.cpp's MLA support have *_mla keys; older ones have the per-head
  // q/k and v widths in key_length / value_length.
  const bool has_mla_keys = md.has(r.key("attention.key_length_mla"));
  const int64_t qk_head = r.dim(r.key(has_mla_keys ? "attention.key_length_mla" : "attention.key_length"));
  m.v_head_dim = r.dim(r.key(has_mla_keys ? "attention.value_length_mla" : "attention.value_length"));
  SEEK_CHECK(qk_head > m.qk_rope_head_dim, r.source()
                                               << ": per-head key length " << qk_head
                                               << " must exceed rope.dimension_count " << m.qk_rope_head_dim);
  m.qk_nope_head_dim = qk_head - m.qk_rope_head_dim;

  m.first_k_dense_replace = r.dim_or(r.key("leading_dense_block_count"), 0);
  m.n_routed_experts = r.dim_or(r.key("expert_count"), 0);
  m.num_experts_per_tok = r.dim_or(r.key("expert_used_count"), 0);
  m.moe_intermediate_size = r.dim_or(r.key("expert_feed_forward_length"), 0);
  m.n_shared_experts = r.dim_or(r.key("expert_shared_count"), 0);
  m.routed_scaling_factor = r.real_or(r.key("expert_weights_scale"), 1.0);
  m.norm_topk_prob = r.bool_or(r.key("expert_weights_norm"), false);
  m.n_group = r.dim_or(r.key("expert_group_count"), 1);
  m.topk_group = r.dim_or(r.key("expert_group_used_count"), 1);
  m.num_nextn_predict_layers = r.dim_or(r.key("nextn_predict_layers"), 0);
  m.moe_layer_freq = r.dim_or("seek.moe_layer_freq", 1);
  // Files without the key predate sigmoid routing and mean softmax (llama.cpp does the same).
  const int64_t gating = md.get_int_opt(r.key("expert_gating_func")).value_or(1);
  SEEK_CHECK(gating == 1 || gating == 2, r.source() << ": " << r.key("expert_gating_func") << " = " << gating
                                                    << " is not supported (1 = softmax, 2 = sigmoid)");
  m.scoring_func = gating == 2 ? ScoringFunc::kSigmoid : ScoringFunc::kSoftmax;

  // llama.cpp infers the selection rule; so do we when seek's own key is absent.
  const std::string topk = md.get_string_opt("seek.expert_topk_method")
                               .value_or(m.scoring_func == ScoringFunc::kSigmoid ? "noaux_tc"
                                         : m.n_group > 1                         ? "group_limited_greedy"
                                                                                 : "greedy");
  if (topk == "greedy") {
    m.topk_method = TopkMethod::kGreedy;
  } else if (topk == "group_limited_greedy") {
    m.topk_method = TopkMethod::kGroupLimitedGreedy;
  } else if (topk == "noaux_tc") {
    m.topk_method = TopkMethod::kNoauxTc;
  } else {
    SEEK_FAIL(r.source() << ": seek.expert_topk_method = \"" << topk << "\" is not supported");
  }
  // One GGUF architecture covers V2 and V3; V3 is the one with sigmoid routing.
  const std::string hf_arch = md.get_string_opt("seek.hf_architecture")
                                  .value_or(std::string(architecture_hf_name(
                                      m.scoring_func == ScoringFunc::kSigmoid ? Architecture::kDeepseekV3
                                                                              : Architecture::kDeepseekV2)));
  SEEK_CHECK(hf_arch == architecture_hf_name(Architecture::kDeepseekV2) ||
                 hf_arch == architecture_hf_name(Architecture::kDeepseekV3),
             r.source() << ": seek.hf_architecture = \"" << hf_arch
                        << "\" does not match general.architecture deepseek2");
  m.architecture = hf_arch == architecture_hf_name(Architecture::kDeepseekV3) ? Architecture::kDeepseekV3
                                                                              : Architecture::kDeepseekV2;
  m.attention_bias = r.bool_or("seek.attention_bias", file.has_tensor("blk.0.attn_output.bias"));
  m.qkv_bias = m.attention_bias;
}

}  // namespace

ModelConfig config_from_gguf(const GgufFile& file) {
  const GgufMetadata& md = file.metadata();
  const std::string arch = md.get_string("general.architecture");
  ModelConfig m;
  if (arch == "deepseek2") {
    m.architecture = Architecture::kDeepseekV2;  // refined from the routing keys below
  } else if (arch == "qwen2") {
    m.architecture = Architecture::kQwen2;
  } else if (arch == "llama") {
    m.architecture = Architecture::kLlama;
  } else {
    SEEK_FAIL(md.source() << ": general.architecture = \"" << arch
                          << "\" is not supported (supported: deepseek2, qwen2, llama)");
  }
  const Reader r(md, arch);
  m.max_position_embeddings = r.dim(r.key("context_length"));
  m.hidden_size = r.dim(r.key("embedding_length"));
  m.num_hidden_layers = r.dim(r.key("block_count"));
  m.intermediate_size = r.dim(r.key("feed_forward_length"));
  m.num_attention_heads = r.dim(r.key("attention.head_count"));
  m.num_key_value_heads = r.dim_or(r.key("attention.head_count_kv"), m.num_attention_heads);
  m.rms_norm_eps = r.real(r.key("attention.layer_norm_rms_epsilon"));
  m.rope_theta = r.real_or(r.key("rope.freq_base"), 10000.0);
  m.rope_scaling = read_rope_scaling(r, arch == "deepseek2");
  if (md.has(r.key("vocab_size"))) {
    m.vocab_size = r.dim(r.key("vocab_size"));
  } else {
    SEEK_CHECK(md.has("tokenizer.ggml.tokens"), md.source()
                                                    << ": metadata key '" << r.key("vocab_size")
                                                    << "' is missing and there is no tokenizer.ggml.tokens");
    m.vocab_size = static_cast<int64_t>(md.get_array("tokenizer.ggml.tokens").count);
  }
  m.bos_token_id = md.get_int_opt("tokenizer.ggml.bos_token_id");
  if (md.has("seek.eos_token_ids")) {
    m.eos_token_ids = md.get_int_array("seek.eos_token_ids");
  } else if (const auto eos = md.get_int_opt("tokenizer.ggml.eos_token_id")) {
    m.eos_token_ids = {*eos};
  }
  // llama.cpp ties the output to the embedding when a file has no output.weight.
  m.tie_word_embeddings =
      r.bool_or("seek.tie_word_embeddings", !file.tensors().empty() && !file.has_tensor("output.weight"));
  m.torch_dtype = md.get_string_opt("seek.torch_dtype").value_or("");

  if (arch == "deepseek2") {
    read_mla_moe(r, file, m);
  } else {
    SEEK_CHECK(m.num_attention_heads > 0, md.source()
                                              << ": " << r.key("attention.head_count") << " = 0 must be > 0");
    const auto head_dim = r.dim_opt(r.key("attention.key_length"));
    SEEK_CHECK(head_dim || m.hidden_size % m.num_attention_heads == 0,
               md.source() << ": embedding_length " << m.hidden_size << " is not divisible by head_count "
                           << m.num_attention_heads << " and attention.key_length is missing");
    m.head_dim = head_dim.value_or(m.hidden_size / m.num_attention_heads);
    if (arch == "qwen2") {
      m.qkv_bias = true;
    } else {
      m.attention_bias = r.bool_or("seek.attention_bias", file.has_tensor("blk.0.attn_q.bias"));
      m.qkv_bias = m.attention_bias;
    }
  }
  validate_config(m, md.source());
  return m;
}

void config_to_gguf_metadata(const ModelConfig& m, GgufWriter& writer) {
  validate_config(m, "model config");  // every value below then fits its GGUF type
  GgufMetadata& md = writer.metadata();
  const std::string arch(architecture_gguf_name(m.architecture));
  const auto key = [&](const char* suffix) { return arch + "." + suffix; };
  const auto u32 = [](int64_t v) { return GgufValue::u32(static_cast<uint32_t>(v)); };
  const auto f32 = [](double v) { return GgufValue::f32(static_cast<float>(v)); };

  md.set("general.architecture", GgufValue::string(arch));
  md.set(key("vocab_size"), u32(m.vocab_size));
  md.set(key("context_length"), u32(m.max_position_embeddings));
  md.set(key("embedding_length"), u32(m.hidden_size));
  md.set(key("block_count"), u32(m.num_hidden_layers));
  md.set(key("feed_forward_length"), u32(m.intermediate_size));
  md.set(key("attention.head_count"), u32(m.num_attention_heads));
  md.set(key("attention.head_count_kv"), u32(m.has_mla() ? 1 : m.num_key_value_heads));
  md.set(key("attention.layer_norm_rms_epsilon"), f32(m.rms_norm_eps));
  md.set(key("rope.freq_base"), f32(m.rope_theta));

  const RopeScaling& rs = m.rope_scaling;
  switch (rs.type) {
    case RopeScalingType::kNone: break;
    case RopeScalingType::kLinear:
      md.set(key("rope.scaling.type"), GgufValue::string("linear"));
      md.set(key("rope.scaling.factor"), f32(rs.factor));
      break;
    case RopeScalingType::kYarn:
      md.set(key("rope.scaling.type"), GgufValue::string("yarn"));
      md.set(key("rope.scaling.factor"), f32(rs.factor));
      md.set(key("rope.scaling.original_context_length"), u32(rs.original_max_position_embeddings));
      md.set(key("rope.scaling.yarn_beta_fast"), f32(rs.beta_fast));
      md.set(key("rope.scaling.yarn_beta_slow"), f32(rs.beta_slow));
      if (m.has_mla()) {
        md.set(key("rope.scaling.yarn_log_multiplier"), f32(0.1 * rs.mscale_all_dim));
        if (rs.mscale != rs.mscale_all_dim) md.set("seek.rope.scaling.mscale", GgufValue::f64(rs.mscale));
      }
      break;
    case RopeScalingType::kLlama3:
      // Not llama.cpp keys: writing rope.scaling.factor would make llama.cpp apply linear scaling.
      // A converter must also add llama.cpp's rope_freqs tensor for the file to run there.
      md.set("seek.rope.llama3.factor", f32(rs.factor));
      md.set("seek.rope.llama3.low_freq_factor", f32(rs.low_freq_factor));
      md.set("seek.rope.llama3.high_freq_factor", f32(rs.high_freq_factor));
      md.set("seek.rope.llama3.original_context_length", u32(rs.original_max_position_embeddings));
      break;
  }

  if (m.has_mla()) {
    md.set(key("rope.dimension_count"), u32(m.qk_rope_head_dim));
    md.set(key("leading_dense_block_count"), u32(m.first_k_dense_replace));
    if (m.q_lora_rank) md.set(key("attention.q_lora_rank"), u32(*m.q_lora_rank));
    md.set(key("attention.kv_lora_rank"), u32(m.kv_lora_rank));
    md.set(key("attention.key_length"), u32(m.kv_lora_rank + m.qk_rope_head_dim));
    md.set(key("attention.value_length"), u32(m.kv_lora_rank));
    md.set(key("attention.key_length_mla"), u32(m.qk_head_dim()));
    md.set(key("attention.value_length_mla"), u32(m.v_head_dim));
    if (m.has_moe()) {
      md.set(key("expert_feed_forward_length"), u32(m.moe_intermediate_size));
      md.set(key("expert_count"), u32(m.n_routed_experts));
      md.set(key("expert_used_count"), u32(m.num_experts_per_tok));
      md.set(key("expert_shared_count"), u32(m.n_shared_experts));
      md.set(key("expert_weights_scale"), f32(m.routed_scaling_factor));
      md.set(key("expert_weights_norm"), GgufValue::boolean(m.norm_topk_prob));
      md.set(key("expert_gating_func"), u32(m.scoring_func == ScoringFunc::kSigmoid ? 2 : 1));
      md.set(key("expert_group_count"), u32(m.n_group));
      md.set(key("expert_group_used_count"), u32(m.topk_group));
      md.set("seek.expert_topk_method", GgufValue::string(std::string(topk_method_name(m.topk_method))));
      if (m.moe_layer_freq != 1) md.set("seek.moe_layer_freq", u32(m.moe_layer_freq));
    }
    if (m.num_nextn_predict_layers > 0) md.set(key("nextn_predict_layers"), u32(m.num_nextn_predict_layers));
    md.set("seek.hf_architecture", GgufValue::string(std::string(architecture_hf_name(m.architecture))));
  } else {
    md.set(key("rope.dimension_count"), u32(m.head_dim));
    md.set(key("attention.key_length"), u32(m.head_dim));
    md.set(key("attention.value_length"), u32(m.head_dim));
  }
  if (m.architecture != Architecture::kQwen2)
    md.set("seek.attention_bias", GgufValue::boolean(m.attention_bias));
  md.set("seek.tie_word_embeddings", GgufValue::boolean(m.tie_word_embeddings));
  if (!m.torch_dtype.empty()) md.set("seek.torch_dtype", GgufValue::string(m.torch_dtype));
  if (m.bos_token_id) md.set("tokenizer.ggml.bos_token_id", u32(*m.bos_token_id));
  if (!m.eos_token_ids.empty()) md.set("tokenizer.ggml.eos_token_id", u32(m.eos_token_ids[0]));
  if (m.eos_token_ids.size() > 1)
    md.set("seek.eos_token_ids", GgufValue::int_array(GgufType::kI64, m.eos_token_ids));
}

}  // namespace seek
