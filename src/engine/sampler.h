// Sampler: turns one row of logits into the next token.
//
//   greedy (temperature 0): the arg-max, lowest id on ties
//   otherwise: penalties -> logits / temperature -> top-k -> softmax -> top-p -> min-p -> draw
// The draw uses the sampler's own seeded generator, so the same seed and the same logits give the same
// tokens. Buffers are sized at construction (vocab), so sample() and logprobs() allocate nothing.
//
// Log-probabilities follow OpenAI's `logprobs` / `top_logprobs`: they describe the model's own
// distribution, log_softmax of the logits after the penalties, before temperature, top-k, top-p and
// min-p. So they do not depend on the sampling temperature or truncation (a greedy and a sampled run
// report the same numbers for the same token), and the chosen token may be absent from the top list
// when it was drawn from the tail. The softmax runs over the sampler's vocabulary (the tokenizer's
// ids), the same set sample() draws from.
#pragma once

#include <array>
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

inline constexpr int kMaxTopLogprobs = 20;  // OpenAI's limit for top_logprobs

struct TokenLogprob {
  int32_t id = -1;
  float logprob = 0.0f;  // natural log
};

// One generated token's log-probabilities; fixed size, so filling it allocates nothing.
struct TokenLogprobs {
  TokenLogprob chosen;                                // the sampled token
  int num_top = 0;                                    // entries of `top` in use (the number asked for)
  std::array<TokenLogprob, kMaxTopLogprobs> top;      // [num_top], most likely first, ties by lower id
};

class Sampler {
 public:
  Sampler(int64_t vocab_size, const SamplingParams& params);

  // logits: [vocab]; modified in place: on return they hold the logits after the penalties (the
  // temperature and truncation work on a copy), which is what logprobs() reads.
  // history: tokens generated so far (for the penalties).
  int32_t sample(float* logits, const std::vector<int32_t>& history);
  // The log-probabilities of `chosen` and of the num_top (0..kMaxTopLogprobs) most likely tokens
  // under log_softmax(logits); call with the logits sample() just penalised.
  void logprobs(const float* logits, int32_t chosen, int num_top, TokenLogprobs& out) const;
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
