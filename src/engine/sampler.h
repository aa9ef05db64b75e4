// Sampler: turns one row of logits into the next token.
//
//   greedy (temperature 0): the arg-max, lowest id on ties
//   otherwise: penalties -> logits / temperature -> top-k -> softmax -> top-p -> min-p -> draw
// The draw uses the sampler's own seeded generator, so the same seed and the same logits give the same
// tokens. Buffers are sized at construction (vocab), so sample() allocates nothing.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace seek {

struct SamplingParams {
  float temperature = 0.0f;        // 0 = greedy
  int top_k = 0;                   // keep the k most likely tokens; 0 = all
  float top_p = 1.0f;              // keep the smallest set whose probability reaches top_p
  float min_p = 0.0f;              // drop tokens below min_p x the most likely token's probability
  float repetition_penalty = 1.0f; // > 1 discourages tokens already seen (divides positive logits)
  float frequency_penalty = 0.0f;  // subtracts count(token) x this (OpenAI semantics)
  float presence_penalty = 0.0f;   // subtracts this once per token already seen
  uint64_t seed = 0;
};

class Sampler {
 public:
  Sampler(int64_t vocab_size, const SamplingParams& params);

  // logits: [vocab]; modified in place. history: tokens generated so far (for the penalties).
  int32_t sample(float* logits, const std::vector<int32_t>& history);
  const SamplingParams& params() const { return params_; }

 private:
  int64_t vocab_;
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<int32_t> order_;   // candidate ids, sorted by probability
  std::vector<float> probs_;
  std::vector<int32_t> counts_;  // occurrences of each id in history
};

}  // namespace seek
