#include "model/tensor_specs.h"

#include "model/weight_names.h"

namespace seek {

namespace {

void add(std::vector<TensorSpec>& out, std::string name, std::vector<int64_t> shape, bool matrix, bool mtp) {
  out.push_back(TensorSpec{std::move(name), std::move(shape), matrix, mtp});
}

void add_block(const ModelConfig& c, int64_t l, bool mtp, std::vector<TensorSpec>& out) {
  const int64_t d = c.hidden_size, H = c.num_attention_heads;
  auto name = [&](const char* suffix) { return hf_layer_name(l, suffix); };
  auto matrix = [&](const char* suffix, int64_t rows, int64_t cols) { add(out, name(suffix), {rows, cols}, true, mtp); };
  auto vector = [&](const char* suffix, int64_t n) { add(out, name(suffix), {n}, false, mtp); };
  vector("input_layernorm.weight", d);
  if (c.has_mla()) {
    const int64_t qk = c.qk_head_dim();
    if (c.q_lora_rank) {
      matrix("self_attn.q_a_proj.weight", *c.q_lora_rank, d);
      vector("self_attn.q_a_layernorm.weight", *c.q_lora_rank);
      matrix("self_attn.q_b_proj.weight", H * qk, *c.q_lora_rank);
    } else {
      matrix("self_attn.q_proj.weight", H * qk, d);
    }
    matrix("self_attn.kv_a_proj_with_mqa.weight", c.kv_lora_rank + c.qk_rope_head_dim, d);
    vector("self_attn.kv_a_layernorm.weight", c.kv_lora_rank);
    matrix("self_attn.kv_b_proj.weight", H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank);
    matrix("self_attn.o_proj.weight", d, H * c.v_head_dim);
  } else {
    const int64_t hd = c.head_dim, kv = c.num_key_value_heads;
    matrix("self_attn.q_proj.weight", H * hd, d);
    if (c.qkv_bias || c.attention_bias) vector("self_attn.q_proj.bias", H * hd);
    matrix("self_attn.k_proj.weight", kv * hd, d);
    if (c.qkv_bias || c.attention_bias) vector("self_attn.k_proj.bias", kv * hd);
    matrix("self_attn.v_proj.weight", kv * hd, d);
    if (c.qkv_bias || c.attention_bias) vector("self_attn.v_proj.bias", kv * hd);
    matrix("self_attn.o_proj.weight", d, H * hd);
  }
  vector("post_attention_layernorm.weight", d);
  auto ffn = [&](const std::string& prefix, int64_t inter) {
    add(out, hf_layer_name(l, prefix + "gate_proj.weight"), {inter, d}, true, mtp);
    add(out, hf_layer_name(l, prefix + "up_proj.weight"), {inter, d}, true, mtp);
    add(out, hf_layer_name(l, prefix + "down_proj.weight"), {d, inter}, true, mtp);
  };
  if (!c.is_moe_layer(l)) {
    ffn("mlp.", c.intermediate_size);
    return;
  }
  matrix("mlp.gate.weight", c.n_routed_experts, d);
  if (c.topk_method == TopkMethod::kNoauxTc) vector("mlp.gate.e_score_correction_bias", c.n_routed_experts);
  for (int64_t e = 0; e < c.n_routed_experts; ++e)
    ffn("mlp.experts." + std::to_string(e) + ".", c.moe_intermediate_size);
  if (c.n_shared_experts > 0) ffn("mlp.shared_experts.", c.n_shared_experts * c.moe_intermediate_size);
}

}  // namespace

std::vector<TensorSpec> model_tensor_specs(const ModelConfig& c, bool include_mtp) {
  std::vector<TensorSpec> out;
  const int64_t d = c.hidden_size, vocab = c.vocab_size;
  add(out, "model.embed_tokens.weight", {vocab, d}, true, false);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) add_block(c, l, false, out);
  add(out, "model.norm.weight", {d}, false, false);
  if (!c.tie_word_embeddings) add(out, "lm_head.weight", {vocab, d}, true, false);
  if (!include_mtp) return out;
  for (int64_t k = 0; k < c.num_nextn_predict_layers; ++k) {
    const int64_t l = c.num_hidden_layers + k;
    add(out, hf_layer_name(l, "embed_tokens.weight"), {vocab, d}, true, true);
    add(out, hf_layer_name(l, "enorm.weight"), {d}, false, true);
    add(out, hf_layer_name(l, "hnorm.weight"), {d}, false, true);
    add(out, hf_layer_name(l, "eh_proj.weight"), {d, 2 * d}, true, true);
    add_block(c, l, true, out);
    add(out, hf_layer_name(l, "shared_head.norm.weight"), {d}, false, true);
    add(out, hf_layer_name(l, "shared_head.head.weight"), {vocab, d}, true, true);
  }
  return out;
}

}  // namespace seek
