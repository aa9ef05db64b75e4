// DeepSeekMoE routing of one token (architecture.md 5.2, 5.3): which experts, and with what weight.
//
//   s = softmax(logits) (V2) or sigmoid(logits) (V3)
//   selection score s' = s + e_score_correction_bias (V3 noaux_tc only; it never weights outputs)
//   group-limited: group score = max of s' (group_limited_greedy) or sum of its top 2 (noaux_tc);
//                  keep topk_group groups, mask the others with -inf
//   idx = top-k of s';  g = s[idx];  g /= Σg if norm_topk_prob (and k > 1);  g *= routed_scaling_factor
// Ties go to the lower index, as torch.topk does on CPU for distinct values.
#pragma once

#include <cstdint>

#include "formats/model_config.h"

namespace seek {

// Limits of the router's fixed-size work arrays (V3 has 256 experts in 8 groups); checked at load.
constexpr int64_t kMaxRoutedExperts = 1024;
constexpr int64_t kMaxExpertGroups = 256;

// logits: [n_routed_experts] router outputs; bias: [n_routed_experts] or null.
// scratch: at least 2 * n_routed_experts + n_group floats. Writes num_experts_per_tok entries of
// expert_idx and weights, in descending selection-score order.
void route_token(const ModelConfig& config, const float* logits, const float* bias, float* scratch,
                 int32_t* expert_idx, float* weights);

}  // namespace seek
