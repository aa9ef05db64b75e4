// RoPE frequencies ω_i and the attention scales that context extension implies, derived once from
// the config (architecture.md 2.3, 3; Llama 3.1's smooth scaling).
#pragma once

#include <vector>

#include "formats/model_config.h"

namespace seek {

struct RopeTables {
  std::vector<float> freqs;  // ω_i for i in [0, rotary_dim / 2): angle(pos, i) = pos · ω_i
  float attn_factor = 1.0f;  // multiplies cos/sin (YaRN "mscale" ratio; 1 for released DeepSeek configs)
};

// `rotary_dim`: 64 (qk_rope_head_dim) for MLA, head_dim for dense models.
RopeTables rope_tables(const ModelConfig& config, int64_t rotary_dim);

// ω_i without any context-extension scaling (what llama.cpp's rope_freqs divisors apply to).
std::vector<float> rope_base_freqs(const ModelConfig& config, int64_t rotary_dim);

// Softmax scale of attention: head_dim^-0.5, times YaRN's mscale² for MLA models with mscale_all_dim
// (192^-0.5 · m², m = 0.1 · mscale_all_dim · ln(factor) + 1).
float attention_softmax_scale(const ModelConfig& config);

}  // namespace seek
