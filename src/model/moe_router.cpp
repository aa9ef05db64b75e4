#include "model/moe_router.h"

#include <cmath>
#include <limits>

namespace seek {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Index of the largest of x[0..n) not yet taken (ties: lowest index).
int64_t argmax_untaken(const float* x, const bool* taken, int64_t n) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (taken[i]) continue;
    if (best < 0 || x[i] > x[best]) best = i;
  }
  return best;
}

}  // namespace

void route_token(const ModelConfig& c, const float* logits, const float* bias, float* scratch, int32_t* expert_idx,
                 float* weights) {
  const int64_t E = c.n_routed_experts, k = c.num_experts_per_tok;
  float* score = scratch;           // s
  float* select = scratch + E;      // s' (masked)
  float* group_score = scratch + 2 * E;

  if (c.scoring_func == ScoringFunc::kSoftmax) {
    float max_logit = logits[0];
    for (int64_t e = 1; e < E; ++e) max_logit = std::max(max_logit, logits[e]);
    float sum = 0.0f;
    for (int64_t e = 0; e < E; ++e) sum += score[e] = std::exp(logits[e] - max_logit);
    for (int64_t e = 0; e < E; ++e) score[e] /= sum;
  } else {
    for (int64_t e = 0; e < E; ++e) score[e] = 1.0f / (1.0f + std::exp(-logits[e]));
  }
  for (int64_t e = 0; e < E; ++e) select[e] = score[e] + (bias != nullptr ? bias[e] : 0.0f);

  const bool grouped = c.n_group > 1 && c.topk_method != TopkMethod::kGreedy;
  if (grouped) {
    const int64_t G = c.n_group, per_group = E / G;
    for (int64_t g = 0; g < G; ++g) {
      const float* s = select + g * per_group;
      float first = kNegInf, second = kNegInf;
      for (int64_t i = 0; i < per_group; ++i) {
        if (s[i] > first) {
          second = first;
          first = s[i];
        } else if (s[i] > second) {
          second = s[i];
        }
      }
      group_score[g] = c.topk_method == TopkMethod::kNoauxTc ? first + (per_group > 1 ? second : 0.0f) : first;
    }
    bool kept[kMaxExpertGroups] = {};
    bool taken[kMaxExpertGroups] = {};
    for (int64_t i = 0; i < c.topk_group; ++i) {
      const int64_t g = argmax_untaken(group_score, taken, G);
      taken[g] = kept[g] = true;
    }
    for (int64_t g = 0; g < G; ++g)
      if (!kept[g])
        for (int64_t i = 0; i < per_group; ++i) select[g * per_group + i] = kNegInf;
  }

  // top-k over the (masked) selection scores
  bool taken[kMaxRoutedExperts] = {};
  float total = 0.0f;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t e = argmax_untaken(select, taken, E);
    taken[e] = true;
    expert_idx[i] = static_cast<int32_t>(e);
    weights[i] = score[e];
    total += score[e];
  }
  const float norm = c.norm_topk_prob && k > 1 ? 1.0f / (total + 1e-20f) : 1.0f;
  for (int64_t i = 0; i < k; ++i) weights[i] *= norm * static_cast<float>(c.routed_scaling_factor);
}

}  // namespace seek
