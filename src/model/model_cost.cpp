// ModelCost: bytes and FLOPs per token from the loaded weights (what a roofline divides by).
#include <map>

#include "model/model.h"

namespace seek {

namespace {

struct Tally {
  double bytes = 0, params = 0;
  std::map<DType, double> bytes_by_type;
  void add(const Tensor& t, double fraction = 1.0) {
    if (!t.defined() || t.ndim() == 0) return;
    const double b = static_cast<double>(dtype_row_bytes(t.dtype(), t.dim(-1))) * static_cast<double>(t.numel() / t.dim(-1));
    bytes += b * fraction;
    params += static_cast<double>(t.numel()) * fraction;
    bytes_by_type[t.dtype()] += b * fraction;
  }
  void add_ffn(const FfnWeights& f, double fraction = 1.0) {
    add(f.gate, fraction);
    add(f.up, fraction);
    add(f.down, fraction);
  }
};

}  // namespace

ModelCost Model::cost() const {
  const ModelConfig& c = config_;
  Tally decode, all;
  // One embedding row per token.
  decode.add(weights_.embed.narrow(0, 0, 1));
  all.add(weights_.embed);
  for (const BlockWeights& b : weights_.blocks) {
    for (const Tensor* t : {&b.mla.wq, &b.mla.wq_a, &b.mla.wq_b, &b.mla.wkv_a, &b.mla.wo, &b.gqa.wq, &b.gqa.wk,
                            &b.gqa.wv, &b.gqa.wo}) {
      decode.add(*t);
      all.add(*t);
    }
    // MLA's up-projection as the form in use reads it: the absorbed form W_UK (rows of kv_b_proj, or
    // the file's attn_k_b) and W_UV (rows of kv_b_proj or attn_v_b), the naive form kv_b_proj whole.
    if (settings_.mla_form == MlaForm::kAbsorbed) {
      decode.add(b.mla.w_uk);
      decode.add(b.mla.w_uk_t);
      decode.add(b.mla.w_uv);
    } else {
      decode.add(b.mla.wkv_b);
    }
    all.add(b.mla.wkv_b);
    if (!b.mla.wkv_b.defined()) {  // a split file's attn_k_b and attn_v_b, not views of kv_b
      all.add(b.mla.w_uk_t);
      all.add(b.mla.w_uv);
    }
    if (!b.is_moe) {
      decode.add_ffn(b.ffn);
      all.add_ffn(b.ffn);
      continue;
    }
    decode.add(b.moe.router);
    all.add(b.moe.router);
    decode.add_ffn(b.moe.shared);
    all.add_ffn(b.moe.shared);
    const double share = static_cast<double>(c.num_experts_per_tok) / static_cast<double>(c.n_routed_experts);
    for (const FfnWeights& e : b.moe.experts) {
      decode.add_ffn(e, share);
      all.add_ffn(e);
    }
  }
  if (!c.tie_word_embeddings) all.add(weights_.lm_head);
  decode.add(weights_.lm_head);
  ModelCost cost;
  cost.decode_weight_bytes = decode.bytes;
  cost.active_params = decode.params;
  cost.total_weight_bytes = all.bytes;
  // q·k and p·v per head and attended position: MLA naive 192 + 128 wide, GQA head_dim twice.
  const double per_head = c.has_mla() ? static_cast<double>(c.qk_head_dim() + c.v_head_dim)
                                      : 2.0 * static_cast<double>(c.head_dim);
  cost.attention_flops_per_position =
      2.0 * per_head * static_cast<double>(c.num_attention_heads) * static_cast<double>(c.num_hidden_layers);
  double best = -1;
  for (const auto& [type, bytes] : all.bytes_by_type)
    if (bytes > best) {
      best = bytes;
      cost.dominant_weight_type = type;
    }
  return cost;
}

}  // namespace seek
