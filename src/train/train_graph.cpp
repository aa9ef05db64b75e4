// The forward graph of one training micro-batch (architecture.md 1-6 as ops on a tape):
//
//   x = Embed[tokens];  per block: x += Attn(RMSNorm(x));  x += FFN(RMSNorm(x))
//   h = RMSNorm(x);  CE(h · Headᵀ, next tokens)
//   MTP: x' = eh_proj([enorm(Embed'[t+1]) ; hnorm(h_t)]) -> block -> norm -> Head' -> CE(token t+2)
#include <map>
#include <numeric>

#include "core/error.h"
#include "core/quant.h"
#include "kernels/attention.h"
#include "model/moe_router.h"
#include "model/weight_names.h"
#include "train/ops.h"
#include "train/train_model.h"

namespace seek::train {

struct TrainModel::Graph {
  TrainModel& model;
  Tape& t;
  const ModelConfig& c;
  const LossWeights& weights;
  StepLosses& stats;
  std::vector<Var> params;  // by parameter index
  const Tensor& freqs;
  const kernels::RopeParams& rope_params;
  const float attn_scale;
  std::vector<Var> balance_terms;
  std::map<int64_t, Tensor> positions_by_seq;  // main blocks and the MTP block (seq - 1)
  std::vector<float> router_scratch;

  // track: record gradients for the trainable parameters (false: a forward pass only).
  Graph(TrainModel& m, Tape& tape, const LossWeights& w, StepLosses& s, bool track)
      : model(m), t(tape), c(m.config_), weights(w), stats(s), freqs(m.rope_freqs_), rope_params(m.rope_params_),
        attn_scale(m.attn_scale_) {
    if (m.bf16_) m.bf16_copies_.resize(m.params_.size());
    for (size_t i = 0; i < m.params_.size(); ++i) {
      Parameter& p = m.params_[i];
      params.push_back(p.trainable && track ? t.parameter(p.value, &p.grad) : t.constant(p.value));
      if (!m.bf16_ || p.value.ndim() < 2 || p.name.ends_with("embed_tokens.weight")) continue;  // lookups stay f32
      Tensor& copy = m.bf16_copies_[i];
      if (!copy.defined() || copy.numel() == 0) copy = Tensor::empty(DType::kBF16, p.value.shape());
      quantize_row(DType::kBF16, p.value.data_as<float>(), copy.data(), p.value.numel());
      t.set_compute_copy(params.back(), copy);
    }
    router_scratch.resize(static_cast<size_t>(2 * c.n_routed_experts + c.n_group + 8));
  }

  Var p(const std::string& name) { return params[model.index_.at(name)]; }
  Var lp(int64_t layer, const std::string& suffix) { return p(hf_layer_name(layer, suffix)); }
  bool has(const std::string& name) const { return model.index_.count(name) != 0; }
  float eps() const { return static_cast<float>(c.rms_norm_eps); }

  // Position of each row: rows are sequence-major, so row i sits at i % seq. Made once per length.
  const Tensor& positions(int64_t batch, int64_t seq) {
    Tensor& pos = positions_by_seq[seq];
    if (pos.data() == nullptr || pos.numel() != batch * seq) {
      pos = Tensor::empty(DType::kI32, {batch * seq});
      for (int64_t i = 0; i < batch * seq; ++i) pos.data_as<int32_t>()[i] = static_cast<int32_t>(i % seq);
    }
    return pos;
  }

  // Multi-head Latent Attention, naive form (architecture.md 2).
  Var mla(int64_t l, Var xn, int64_t batch, int64_t seq, const Tensor& pos) {
    const int64_t H = c.num_attention_heads, nope = c.qk_nope_head_dim, rope_dim = c.qk_rope_head_dim;
    const int64_t vd = c.v_head_dim, rank = c.kv_lora_rank;
    // q = W_qb · RMSNorm(W_qa x) (or W_q x); RoPE on each head's last rope_dim values
    Var q = c.q_lora_rank ? matmul(t, rmsnorm(t, matmul(t, xn, lp(l, "self_attn.q_a_proj.weight")),
                                              lp(l, "self_attn.q_a_layernorm.weight"), eps()),
                                   lp(l, "self_attn.q_b_proj.weight"))
                          : matmul(t, xn, lp(l, "self_attn.q_proj.weight"));
    q = rope(t, q, H, nope, pos, freqs, rope_params);
    // [c_KV ; k_pe] = W_kva x;  c_KV normalised, k_pe roped (one key part shared by all heads)
    Var kv_a = matmul(t, xn, lp(l, "self_attn.kv_a_proj_with_mqa.weight"));
    Var latent = rmsnorm(t, slice_cols(t, kv_a, 0, rank), lp(l, "self_attn.kv_a_layernorm.weight"), eps());
    Var k_pe = rope(t, slice_cols(t, kv_a, rank, rope_dim), 1, 0, pos, freqs, rope_params);
    // per head [k_nope ; v] = W_kvb c_KV;  k = [k_nope ; k_pe]
    const KeysValues kv = mla_keys_values(t, matmul(t, latent, lp(l, "self_attn.kv_b_proj.weight")), k_pe, H, nope, vd);
    Var o = attention(t, q, kv.k, kv.v, {batch, seq, H, H, nope + rope_dim, vd, attn_scale});
    return matmul(t, o, lp(l, "self_attn.o_proj.weight"));
  }

  // Grouped-query attention of Qwen2 / Llama.
  Var gqa(int64_t l, Var xn, int64_t batch, int64_t seq, const Tensor& pos) {
    const int64_t H = c.num_attention_heads, G = c.num_key_value_heads, hd = c.head_dim;
    auto proj = [&](const std::string& name) {
      Var y = matmul(t, xn, lp(l, "self_attn." + name + ".weight"));
      const std::string bias = hf_layer_name(l, "self_attn." + name + ".bias");
      return has(bias) ? add_bias(t, y, p(bias)) : y;
    };
    Var q = rope(t, proj("q_proj"), H, 0, pos, freqs, rope_params);
    Var k = rope(t, proj("k_proj"), G, 0, pos, freqs, rope_params);
    Var o = attention(t, q, k, proj("v_proj"), {batch, seq, H, G, hd, hd, attn_scale});
    Var out = matmul(t, o, lp(l, "self_attn.o_proj.weight"));
    const std::string o_bias = hf_layer_name(l, "self_attn.o_proj.bias");
    return has(o_bias) ? add_bias(t, out, p(o_bias)) : out;
  }

  // SwiGLU FFN: down(silu(gate x) ⊙ up x).
  Var ffn(int64_t l, const std::string& prefix, Var x) {
    Var g = matmul(t, x, lp(l, prefix + "gate_proj.weight"));
    Var u = matmul(t, x, lp(l, prefix + "up_proj.weight"));
    return matmul(t, swiglu(t, g, u), lp(l, prefix + "down_proj.weight"));
  }

  // DeepSeekMoE (architecture.md 5): route, run each expert on its tokens, combine with gate weights.
  Var moe(int64_t l, Var xn, int64_t batch, int64_t seq) {
    const int64_t n = batch * seq, E = c.n_routed_experts, k = c.num_experts_per_tok, d = c.hidden_size;
    Var logits = matmul(t, xn, lp(l, "mlp.gate.weight"));
    Var scores = router_scores(t, logits, c.scoring_func);
    // Selection (no gradient): the same routing code inference runs, bias included.
    const Parameter* bias_param = model.find_parameter(hf_layer_name(l, "mlp.gate.e_score_correction_bias"));
    const float* bias = bias_param != nullptr ? bias_param->value.data_as<float>() : nullptr;
    std::vector<int32_t> idx(static_cast<size_t>(n * k));
    std::vector<float> unused(static_cast<size_t>(k));
    for (int64_t i = 0; i < n; ++i)
      route_token(c, t.value(logits).data_as<float>() + i * E, bias, router_scratch.data(), idx.data() + i * k,
                  unused.data());
    Var gates = gate_weights(t, scores, idx, k, c.norm_topk_prob && k > 1, static_cast<float>(c.routed_scaling_factor));

    // Group the (token, choice) slots by expert.
    std::vector<std::vector<int32_t>> slots(static_cast<size_t>(E));
    for (int64_t s = 0; s < n * k; ++s) slots[static_cast<size_t>(idx[static_cast<size_t>(s)])].push_back(static_cast<int32_t>(s));
    std::vector<Var> outs(static_cast<size_t>(E));
    std::vector<int64_t> counts(static_cast<size_t>(E));
    for (int64_t e = 0; e < E; ++e) {
      const std::vector<int32_t>& es = slots[static_cast<size_t>(e)];
      counts[static_cast<size_t>(e)] = static_cast<int64_t>(es.size());
      if (es.empty()) {
        outs[static_cast<size_t>(e)] = xn;  // unused: moe_combine skips experts without slots
        continue;
      }
      std::vector<int32_t> rows(es.size());
      for (size_t r = 0; r < es.size(); ++r) rows[r] = es[r] / static_cast<int32_t>(k);
      outs[static_cast<size_t>(e)] = ffn(l, "mlp.experts." + std::to_string(e) + ".", gather_rows(t, xn, std::move(rows)));
    }
    Var y = moe_combine(t, outs, slots, gates, n, d, k);
    if (c.n_shared_experts > 0) y = add(t, y, ffn(l, "mlp.shared_experts.", xn));
    stats.expert_counts.push_back(std::move(counts));
    stats.moe_layers.push_back(l);
    if (weights.balance_alpha != 0.0f) balance_terms.push_back(balance_loss(t, scores, idx, batch, seq, k));
    return y;
  }

  Var block(int64_t l, Var x, int64_t batch, int64_t seq) {
    const Tensor& pos = positions(batch, seq);
    Var xn = rmsnorm(t, x, lp(l, "input_layernorm.weight"), eps());
    x = add(t, x, c.has_mla() ? mla(l, xn, batch, seq, pos) : gqa(l, xn, batch, seq, pos));
    xn = rmsnorm(t, x, lp(l, "post_attention_layernorm.weight"), eps());
    return add(t, x, c.is_moe_layer(l) ? moe(l, xn, batch, seq) : ffn(l, "mlp.", xn));
  }
};

StepLosses TrainModel::run(const TrainBatch& batch, const LossWeights& weights, bool backward, float grad_scale,
                           Tensor* logits_out) {
  const ModelConfig& c = config_;
  const int64_t B = batch.batch, T = batch.seq, n = B * T;
  SEEK_CHECK(B >= 1 && T >= 1 && static_cast<int64_t>(batch.tokens.size()) == n &&
                 static_cast<int64_t>(batch.targets.size()) == n,
             "train batch: " << batch.tokens.size() << " tokens and " << batch.targets.size() << " targets for "
                             << B << " x " << T);
  SEEK_CHECK(T <= c.max_position_embeddings || c.max_position_embeddings == 0,
             "train batch: sequences of " << T << " exceed max_position_embeddings " << c.max_position_embeddings);
  const bool use_mtp = weights.mtp_lambda != 0.0f && c.num_nextn_predict_layers > 0;
  SEEK_CHECK(!use_mtp || T >= 3, "the MTP loss needs sequences of at least 3 tokens (got " << T << ")");
  reserve_scratch(n);

  StepLosses stats;
  memory_.reset();
  Tape t(kernels::KernelContext{pool_.get(), scratch_.get(), level_}, &memory_, thread_contexts_.get());
  if (profile_ != nullptr) t.set_profile(profile_);
  Graph g(*this, t, weights, stats, backward);
  const float eps = static_cast<float>(c.rms_norm_eps);

  Var x = embedding(t, g.p("model.embed_tokens.weight"), batch.tokens);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) x = g.block(l, x, B, T);
  Var h = rmsnorm(t, x, g.p("model.norm.weight"), eps);
  Var head = g.p(c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight");
  Var logits = matmul(t, h, head);
  if (logits_out != nullptr) *logits_out = t.value(logits).Copy();  // the tape's memory is reused
  Var ce = cross_entropy(t, logits, batch.targets);
  for (int32_t y : batch.targets) stats.scored_tokens += y >= 0;

  std::vector<Var> terms = {ce};
  std::vector<float> term_weights = {1.0f};
  if (use_mtp) {
    // Row t of sequence b predicts token t + 2 from h_t and the embedding of token t + 1.
    const int64_t Tm = T - 1, L = c.num_hidden_layers;
    std::vector<int32_t> rows, next, mtp_targets;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < Tm; ++i) {
        rows.push_back(static_cast<int32_t>(b * T + i));
        next.push_back(batch.tokens[static_cast<size_t>(b * T + i + 1)]);
        mtp_targets.push_back(batch.targets[static_cast<size_t>(b * T + i + 1)]);
      }
    Var e = rmsnorm(t, embedding(t, g.lp(L, "embed_tokens.weight"), next), g.lp(L, "enorm.weight"), eps);
    Var hh = rmsnorm(t, gather_rows(t, h, std::move(rows)), g.lp(L, "hnorm.weight"), eps);
    Var xm = matmul(t, concat_cols(t, e, hh), g.lp(L, "eh_proj.weight"));
    xm = g.block(L, xm, B, Tm);
    Var mtp_logits = matmul(t, rmsnorm(t, xm, g.lp(L, "shared_head.norm.weight"), eps), g.lp(L, "shared_head.head.weight"));
    Var mtp = cross_entropy(t, mtp_logits, mtp_targets);
    stats.mtp = t.value(mtp).data_as<float>()[0];
    terms.push_back(mtp);
    term_weights.push_back(weights.mtp_lambda);
  }
  for (Var b : g.balance_terms) {
    stats.balance += t.value(b).data_as<float>()[0];
    terms.push_back(b);
    term_weights.push_back(weights.balance_alpha);
  }
  Var total = weighted_sum(t, terms, term_weights);
  stats.ce = t.value(ce).data_as<float>()[0];
  stats.total = t.value(total).data_as<float>()[0];
  if (backward) t.backward(total, grad_scale);
  return stats;
}

}  // namespace seek::train
