// Model construction: weights from the file (shape-checked against the config), derived tables,
// and every buffer forward() will use, sized once for RunSettings' limits.
#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "kernels/attention.h"
#include "model/model.h"
#include "model/weight_names.h"
#include "model/weight_source.h"

namespace seek {

std::unique_ptr<Model> Model::load(const std::string& path, const RunSettings& settings) {
  return std::make_unique<Model>(WeightSource::open(path), settings);
}

Model::Model(std::unique_ptr<WeightSource> source, const RunSettings& settings)
    : source_(std::move(source)), config_(source_->config()), settings_(settings) {
  SEEK_CHECK(settings_.num_threads >= 1, "threads must be >= 1 (got " << settings_.num_threads << ")");
  SEEK_CHECK(settings_.max_batch_tokens >= 1, "batch tokens must be >= 1");
  SEEK_CHECK(settings_.moe_group_rows >= 0, "MoE group rows must be >= 0, got " << settings_.moe_group_rows);
  settings_.max_context = std::min(settings_.max_context, config_.max_position_embeddings > 0
                                                              ? config_.max_position_embeddings
                                                              : settings_.max_context);
  SEEK_CHECK(settings_.max_context >= 1, "context must be >= 1");
  pool_ = std::make_unique<ThreadPool>(settings_.num_threads);
  const int64_t rotary_dim = config_.has_mla() ? config_.qk_rope_head_dim : config_.head_dim;
  rope_ = rope_tables(config_, rotary_dim);
  if (const std::optional<Tensor> factors = source_->rope_freq_factors()) {
    // A llama.cpp file carries Llama 3.1 scaling as divisors of the base frequencies.
    SEEK_CHECK(factors->numel() == rotary_dim / 2, source_->path() << ": rope_freqs.weight has " << factors->numel()
                                                                   << " values, expected " << rotary_dim / 2);
    const std::vector<float> base = rope_base_freqs(config_, rotary_dim);
    for (size_t i = 0; i < rope_.freqs.size(); ++i) rope_.freqs[i] = base[i] / factors->data_as<float>()[i];
  }
  rope_freqs_ = Tensor::empty(DType::kF32, {static_cast<int64_t>(rope_.freqs.size())});
  std::copy(rope_.freqs.begin(), rope_.freqs.end(), rope_freqs_.data_as<float>());
  attn_scale_ = attention_softmax_scale(config_);
  // DeepSeek rotates interleaved pairs; HF Qwen2/Llama checkpoints rotate halves. llama.cpp's
  // converter permutes Llama's q/k rows to interleaved pairs, so a Llama GGUF rotates pairs too.
  if (config_.has_mla() || (config_.architecture == Architecture::kLlama && source_->is_gguf()))
    rope_style_ = kernels::RopeStyle::kInterleaved;
  else
    rope_style_ = kernels::RopeStyle::kHalf;
  load_weights();
  allocate_activations();
}

Model::~Model() = default;

void Model::load_block(int64_t l, BlockWeights& b) {
  const ModelConfig& c = config_;
  const WeightSource& s = *source_;
  const int64_t d = c.hidden_size, heads = c.num_attention_heads;
  auto name = [&](const std::string& suffix) { return hf_layer_name(l, suffix); };
  b.attn_norm = s.get_f32(name("input_layernorm.weight"), {d});
  b.ffn_norm = s.get_f32(name("post_attention_layernorm.weight"), {d});
  if (c.has_mla()) {
    MlaWeights& m = b.mla;
    const int64_t qk = c.qk_head_dim(), rank = c.kv_lora_rank, rope = c.qk_rope_head_dim;
    if (c.q_lora_rank) {
      m.wq_a = s.get(name("self_attn.q_a_proj.weight"), {*c.q_lora_rank, d});
      m.q_norm = s.get_f32(name("self_attn.q_a_layernorm.weight"), {*c.q_lora_rank});
      m.wq_b = s.get(name("self_attn.q_b_proj.weight"), {heads * qk, *c.q_lora_rank});
    } else {
      m.wq = s.get(name("self_attn.q_proj.weight"), {heads * qk, d});
    }
    m.wkv_a = s.get(name("self_attn.kv_a_proj_with_mqa.weight"), {rank + rope, d});
    m.kv_norm = s.get_f32(name("self_attn.kv_a_layernorm.weight"), {rank});
    const int64_t nope = c.qk_nope_head_dim, vd = c.v_head_dim;
    const std::string kv_b = name("self_attn.kv_b_proj.weight");
    const std::optional<WeightSource::MlaSplit> split =
        settings_.mla_form == MlaForm::kAbsorbed ? s.mla_split(kv_b) : std::nullopt;
    if (split) {  // the absorbed form's operands as the file stores them: no f32 kv_b rebuilt
      SEEK_CHECK(split->k_b.shape() == std::vector<int64_t>({heads, rank, nope}) &&
                     split->v_b.shape() == std::vector<int64_t>({heads, vd, rank}),
                 s.path() << ": layer " << l << "'s attn_k_b " << split->k_b.shape_string() << " and attn_v_b "
                          << split->v_b.shape_string() << " do not match the config ([" << heads << ", " << rank
                          << ", " << nope << "] and [" << heads << ", " << vd << ", " << rank << "])");
      m.w_uk_t = split->k_b;
      m.w_uv = split->v_b;
    } else {
      // kv_b_proj stays as stored (any dtype, quantised blocks included): the absorbed form's per-head
      // W_UK and W_UV are views of its rows, W_UK multiplied input-major (kernels::matmul_heads_nn).
      m.wkv_b = s.get(kv_b, {heads * (nope + vd), rank});
      const Tensor per_head = m.wkv_b.reshape({heads, nope + vd, rank});
      m.w_uk = per_head.narrow(1, 0, nope);
      m.w_uv = per_head.narrow(1, nope, vd);
    }
    m.wo = s.get(name("self_attn.o_proj.weight"), {d, heads * c.v_head_dim});
  } else {
    GqaWeights& g = b.gqa;
    const int64_t hd = c.head_dim, kv = c.num_key_value_heads;
    g.wq = s.get(name("self_attn.q_proj.weight"), {heads * hd, d});
    g.wk = s.get(name("self_attn.k_proj.weight"), {kv * hd, d});
    g.wv = s.get(name("self_attn.v_proj.weight"), {kv * hd, d});
    g.wo = s.get(name("self_attn.o_proj.weight"), {d, heads * hd});
    if (c.qkv_bias || c.attention_bias) {
      g.bq = s.get_f32(name("self_attn.q_proj.bias"), {heads * hd});
      g.bk = s.get_f32(name("self_attn.k_proj.bias"), {kv * hd});
      g.bv = s.get_f32(name("self_attn.v_proj.bias"), {kv * hd});
    }
  }
  b.is_moe = c.is_moe_layer(l);
  auto load_ffn = [&](const std::string& prefix, int64_t inter) {
    FfnWeights f;
    f.gate = s.get(name(prefix + "gate_proj.weight"), {inter, d});
    f.up = s.get(name(prefix + "up_proj.weight"), {inter, d});
    f.down = s.get(name(prefix + "down_proj.weight"), {d, inter});
    return f;
  };
  if (!b.is_moe) {
    b.ffn = load_ffn("mlp.", c.intermediate_size);
    return;
  }
  MoeWeights& moe = b.moe;
  moe.router = s.get(name("mlp.gate.weight"), {c.n_routed_experts, d});
  if (c.topk_method == TopkMethod::kNoauxTc)
    moe.score_bias = s.get_f32(name("mlp.gate.e_score_correction_bias"), {c.n_routed_experts});
  moe.experts.reserve(static_cast<size_t>(c.n_routed_experts));
  for (int64_t e = 0; e < c.n_routed_experts; ++e)
    moe.experts.push_back(load_ffn("mlp.experts." + std::to_string(e) + ".", c.moe_intermediate_size));
  if (c.n_shared_experts > 0) moe.shared = load_ffn("mlp.shared_experts.", c.n_shared_experts * c.moe_intermediate_size);
}

void Model::load_weights() {
  const ModelConfig& c = config_;
  const WeightSource& s = *source_;
  check_model_tensors(s);  // every tensor and shape, from the headers, before touching any data
  const int64_t d = c.hidden_size, vocab = c.vocab_size;
  weights_.embed = s.get("model.embed_tokens.weight", {vocab, d});
  weights_.blocks.resize(static_cast<size_t>(c.num_hidden_layers));
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) load_block(l, weights_.blocks[static_cast<size_t>(l)]);
  weights_.final_norm = s.get_f32("model.norm.weight", {d});
  weights_.lm_head = c.tie_word_embeddings ? weights_.embed : s.get("lm_head.weight", {vocab, d});
  // MTP modules are optional at inference (architecture.md 6): GGUF files never carry them.
  for (int64_t k = 0; k < c.num_nextn_predict_layers; ++k) {
    const int64_t l = c.num_hidden_layers + k;
    if (!s.has(hf_layer_name(l, "eh_proj.weight"))) {
      SEEK_LOG_INFO(s.path() << ": no MTP module " << k << " in the file; running without it");
      break;
    }
    MtpWeights m;
    m.embed = s.has(hf_layer_name(l, "embed_tokens.weight")) ? s.get(hf_layer_name(l, "embed_tokens.weight"), {vocab, d})
                                                             : weights_.embed;
    m.enorm = s.get_f32(hf_layer_name(l, "enorm.weight"), {d});
    m.hnorm = s.get_f32(hf_layer_name(l, "hnorm.weight"), {d});
    m.eh_proj = s.get(hf_layer_name(l, "eh_proj.weight"), {d, 2 * d});
    load_block(l, m.block);
    m.head_norm = s.get_f32(hf_layer_name(l, "shared_head.norm.weight"), {d});
    m.head = s.has(hf_layer_name(l, "shared_head.head.weight")) ? s.get(hf_layer_name(l, "shared_head.head.weight"), {vocab, d})
                                                                : weights_.lm_head;
    weights_.mtp.push_back(std::move(m));
  }
}

void Model::allocate_activations() {
  const ModelConfig& c = config_;
  const int64_t B = settings_.max_batch_tokens, T = settings_.max_context, d = c.hidden_size;
  const int64_t H = c.num_attention_heads;
  ActivationBuffers& a = act_;
  a.x = Tensor::empty(DType::kF32, {B, d});
  a.xn = Tensor::empty(DType::kF32, {B, d});
  a.hidden_out = Tensor::empty(DType::kF32, {B, d});
  a.ffn_out = Tensor::empty(DType::kF32, {B, d});
  a.positions = Tensor::empty(DType::kI32, {B});
  int64_t inter = c.intermediate_size;
  if (c.has_mla()) {
    const int64_t rank = c.kv_lora_rank, rope = c.qk_rope_head_dim;
    a.q = Tensor::empty(DType::kF32, {B, H, c.qk_head_dim()});
    if (c.q_lora_rank) a.q_a = Tensor::empty(DType::kF32, {B, *c.q_lora_rank});
    a.kv_a = Tensor::empty(DType::kF32, {B, rank + rope});
    a.q_abs = Tensor::empty(DType::kF32, {B, H, rank + rope});
    a.attn_latent = Tensor::empty(DType::kF32, {B, H, rank});
    a.kv_full = Tensor::empty(DType::kF32, {T, H, c.qk_nope_head_dim + c.v_head_dim});
    a.k_full = Tensor::empty(DType::kF32, {T, H, c.qk_head_dim()});
    if (settings_.kv_cache_type != DType::kF32) a.latent_f32 = Tensor::empty(DType::kF32, {T, rank + rope});
    a.attn_out = Tensor::empty(DType::kF32, {B, H, c.v_head_dim});
  } else {
    a.q = Tensor::empty(DType::kF32, {B, H, c.head_dim});
    a.k_new = Tensor::empty(DType::kF32, {B, c.num_key_value_heads, c.head_dim});
    a.v_new = Tensor::empty(DType::kF32, {B, c.num_key_value_heads, c.head_dim});
    a.attn_out = Tensor::empty(DType::kF32, {B, H, c.head_dim});
  }
  if (c.has_moe()) {
    const int64_t k = c.num_experts_per_tok;
    inter = std::max({inter, c.moe_intermediate_size, c.n_shared_experts * c.moe_intermediate_size});
    a.router_logits = Tensor::empty(DType::kF32, {B, c.n_routed_experts});
    a.expert_x = Tensor::empty(DType::kF32, {B, d});
    a.expert_y = Tensor::empty(DType::kF32, {B, d});
    a.route_idx.resize(static_cast<size_t>(B * k));
    a.route_w.resize(static_cast<size_t>(B * k));
    a.expert_rows.resize(static_cast<size_t>(B * k));
    a.expert_offsets.resize(static_cast<size_t>(c.n_routed_experts + 2));
    a.router_scratch.resize(static_cast<size_t>(3 * c.n_routed_experts + c.n_group));
    // Grouped experts (moe_grouped): fewer routed ones active than the group's rows, and the shared.
    const int64_t group_experts = std::min(settings_.moe_group_rows, B) + 1;
    a.grouped_experts.resize(static_cast<size_t>(group_experts));
    a.expert_terms.resize(static_cast<size_t>(2 * group_experts));
  }
  a.ffn_gate = Tensor::empty(DType::kF32, {B, inter});
  a.ffn_up = Tensor::empty(DType::kF32, {B, inter});
  if (!weights_.mtp.empty()) a.mtp_in = Tensor::empty(DType::kF32, {B, 2 * d});
  a.head_in = Tensor::empty(DType::kF32, {B, d});
  a.logits = Tensor::empty(DType::kF32, {B, c.vocab_size});
  batch_.reserve(static_cast<size_t>(B));

  // Kernel scratch: the largest matmul (activation quantisation) plus attention's score rows. q4_K stands
  // for every K-quant, q4_1/q5_0/q5_1 and iq4_nl/iq4_xs (one kernel family, one activation format).
  kernels::KernelContext ctx{pool_.get(), nullptr, settings_.kernel_level};
  size_t need = 0;
  const int64_t max_rows = std::max(B, c.has_mla() && settings_.mla_form == MlaForm::kNaive ? T : B);
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_K}) {
    const int64_t widest_k = std::max({d, inter, 2 * d, c.has_mla() ? c.kv_lora_rank : 0,
                                       H * std::max(c.v_head_dim, c.head_dim)});
    need = std::max(need, kernels::matmul_scratch_bytes(ctx, std::max(max_rows, T), widest_k, t));
  }
  if (c.has_mla()) {
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_K}) {
      need = std::max(need, kernels::matmul_heads_scratch_bytes(ctx, B, H, std::max(c.qk_nope_head_dim, c.kv_lora_rank), t));
      need = std::max(need, kernels::matmul_heads_nn_scratch_bytes(ctx, B, H, c.qk_nope_head_dim, t));
    }
    need += std::max(kernels::attention_scratch_bytes(ctx, {B, H, 1, c.kv_lora_rank, T}),
                     kernels::attention_scratch_bytes(ctx, {B, H, H, c.v_head_dim, T}));
  } else {
    need += kernels::attention_scratch_bytes(ctx, {B, H, c.num_key_value_heads, c.head_dim, T});
  }
  need += 1 << 16;
  scratch_ = std::make_unique<Arena>(need);
}

KvCache::KvCache(const ModelConfig& c, int64_t max_context, DType dtype) : capacity_(max_context) {
  SEEK_CHECK(dtype == DType::kF32 || dtype == DType::kBF16,
             "KV cache type must be f32 or bf16, got " << dtype_name(dtype));
  const int64_t layers = c.num_hidden_layers + c.num_nextn_predict_layers;
  for (int64_t l = 0; l < layers; ++l) {
    if (c.has_mla()) {
      latent_.push_back(Tensor::empty(dtype, {max_context, 1, c.kv_lora_rank + c.qk_rope_head_dim}));
    } else {
      k_.push_back(Tensor::empty(dtype, {max_context, c.num_key_value_heads, c.head_dim}));
      v_.push_back(Tensor::empty(dtype, {max_context, c.num_key_value_heads, c.head_dim}));
    }
  }
}

void KvCache::truncate(int64_t length) {
  SEEK_ASSERT(length >= 0 && length <= length_);
  length_ = length;
}

size_t KvCache::bytes_per_token() const {
  size_t b = 0;
  for (const Tensor& t : latent_) b += t.row_bytes() * static_cast<size_t>(t.dim(1));
  for (const Tensor& t : k_) b += t.row_bytes() * static_cast<size_t>(t.dim(1));
  for (const Tensor& t : v_) b += t.row_bytes() * static_cast<size_t>(t.dim(1));
  return b;
}

}  // namespace seek
