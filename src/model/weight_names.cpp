#include "model/weight_names.h"

#include <cstdlib>
#include <utility>

namespace seek {

namespace {

// Per-layer HF suffix -> GGUF suffix (without "blk.N." and the trailing ".weight"/".bias").
constexpr std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm", "attn_norm"},
    {"post_attention_layernorm", "ffn_norm"},
    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"},
    {"self_attn.q_a_proj", "attn_q_a"},
    {"self_attn.q_a_layernorm", "attn_q_a_norm"},
    {"self_attn.q_b_proj", "attn_q_b"},
    {"self_attn.kv_a_proj_with_mqa", "attn_kv_a_mqa"},
    {"self_attn.kv_a_layernorm", "attn_kv_a_norm"},
    {"self_attn.kv_b_proj", "attn_kv_b"},
    {"mlp.gate_proj", "ffn_gate"},
    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
    {"mlp.gate", "ffn_gate_inp"},
    {"mlp.shared_experts.gate_proj", "ffn_gate_shexp"},
    {"mlp.shared_experts.up_proj", "ffn_up_shexp"},
    {"mlp.shared_experts.down_proj", "ffn_down_shexp"},
};

constexpr std::pair<const char*, const char*> kExpertNames[] = {
    {"gate_proj", "ffn_gate_exps"},
    {"up_proj", "ffn_up_exps"},
    {"down_proj", "ffn_down_exps"},
};

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Parses a decimal number at s[pos..] up to '.', advancing pos past the dot.
std::optional<int64_t> take_index(const std::string& s, size_t& pos) {
  const size_t dot = s.find('.', pos);
  if (dot == std::string::npos || dot == pos) return std::nullopt;
  int64_t v = 0;
  for (size_t i = pos; i < dot; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  pos = dot + 1;
  return v;
}

}  // namespace

std::string hf_layer_name(int64_t layer_idx, const std::string& suffix) {
  return "model.layers." + std::to_string(layer_idx) + "." + suffix;
}

std::optional<std::string> gguf_name_for(const std::string& hf_name, int* expert_idx) {
  if (expert_idx != nullptr) *expert_idx = -1;
  if (hf_name == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf_name == "model.norm.weight") return "output_norm.weight";
  if (hf_name == "lm_head.weight") return "output.weight";
  if (!starts_with(hf_name, "model.layers.")) return std::nullopt;
  size_t pos = sizeof("model.layers.") - 1;
  const std::optional<int64_t> layer = take_index(hf_name, pos);
  if (!layer) return std::nullopt;
  const std::string rest = hf_name.substr(pos);
  const std::string blk = "blk." + std::to_string(*layer) + ".";
  if (rest == "mlp.gate.e_score_correction_bias") return blk + "exp_probs_b.bias";
  // Routed expert: mlp.experts.E.<proj>.weight
  if (starts_with(rest, "mlp.experts.")) {
    size_t epos = sizeof("mlp.experts.") - 1;
    const std::optional<int64_t> e = take_index(rest, epos);
    if (!e) return std::nullopt;
    const std::string proj = rest.substr(epos);
    for (const auto& [hf, gguf] : kExpertNames) {
      if (proj == std::string(hf) + ".weight") {
        if (expert_idx != nullptr) *expert_idx = static_cast<int>(*e);
        return blk + gguf + ".weight";
      }
    }
    return std::nullopt;
  }
  for (const char* kind : {".weight", ".bias"}) {
    const std::string k(kind);
    if (rest.size() <= k.size() || rest.compare(rest.size() - k.size(), k.size(), k) != 0) continue;
    const std::string stem = rest.substr(0, rest.size() - k.size());
    for (const auto& [hf, gguf] : kLayerNames)
      if (stem == hf) return blk + gguf + k;
  }
  return std::nullopt;
}

}  // namespace seek
