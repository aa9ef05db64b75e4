#include "engine/sampler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace seek {

Sampler::Sampler(int64_t vocab_size, const SamplingParams& params)
    : vocab_(vocab_size), params_(params), rng_(params.seed),
      order_(static_cast<size_t>(vocab_size)), probs_(static_cast<size_t>(vocab_size)),
      counts_(static_cast<size_t>(vocab_size), 0) {
  SEEK_CHECK(params.temperature >= 0.0f, "temperature must be >= 0 (got " << params.temperature << ")");
  SEEK_CHECK(params.top_p > 0.0f && params.top_p <= 1.0f, "top_p must be in (0, 1] (got " << params.top_p << ")");
  SEEK_CHECK(params.min_p >= 0.0f && params.min_p <= 1.0f, "min_p must be in [0, 1] (got " << params.min_p << ")");
  SEEK_CHECK(params.top_k >= 0, "top_k must be >= 0 (got " << params.top_k << ")");
  SEEK_CHECK(params.repetition_penalty > 0.0f, "repetition_penalty must be > 0");
}

int32_t Sampler::sample(float* logits, const std::vector<int32_t>& history) {
  const SamplingParams& p = params_;
  if (!history.empty() && (p.repetition_penalty != 1.0f || p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f)) {
    for (int32_t t : history) counts_[static_cast<size_t>(t)]++;
    for (int32_t t : history) {
      int32_t& c = counts_[static_cast<size_t>(t)];
      if (c == 0) continue;  // already applied for this id
      float& l = logits[t];
      if (p.repetition_penalty != 1.0f) l = l > 0 ? l / p.repetition_penalty : l * p.repetition_penalty;
      l -= p.frequency_penalty * static_cast<float>(c) + p.presence_penalty;
      c = 0;
    }
  }
  if (p.temperature == 0.0f) {
    int32_t best = 0;
    for (int32_t i = 1; i < vocab_; ++i)
      if (logits[i] > logits[best]) best = i;
    return best;
  }
  // Candidates sorted by logit (only the top k when set: a partial sort is enough).
  for (int32_t i = 0; i < vocab_; ++i) order_[static_cast<size_t>(i)] = i;
  const int64_t k = p.top_k > 0 ? std::min<int64_t>(p.top_k, vocab_) : vocab_;
  auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::partial_sort(order_.begin(), order_.begin() + k, order_.end(), by_logit);
  const float max_logit = logits[order_[0]];
  double sum = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    probs_[static_cast<size_t>(i)] = std::exp((logits[order_[static_cast<size_t>(i)]] - max_logit) / p.temperature);
    sum += probs_[static_cast<size_t>(i)];
  }
  // top-p then min-p cut the sorted list to a prefix.
  int64_t keep = k;
  double mass = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    mass += probs_[static_cast<size_t>(i)] / sum;
    if (mass >= p.top_p) {
      keep = i + 1;
      break;
    }
  }
  const float floor = p.min_p * probs_[0];  // probs_[0] is the largest
  while (keep > 1 && probs_[static_cast<size_t>(keep - 1)] < floor) --keep;
  double kept = 0.0;
  for (int64_t i = 0; i < keep; ++i) kept += probs_[static_cast<size_t>(i)];
  std::uniform_real_distribution<double> uniform(0.0, kept);
  double r = uniform(rng_);
  for (int64_t i = 0; i < keep; ++i) {
    r -= probs_[static_cast<size_t>(i)];
    if (r < 0.0) return order_[static_cast<size_t>(i)];
  }
  return order_[static_cast<size_t>(keep - 1)];
}

void Sampler::logprobs(const float* logits, int32_t chosen, int num_top, TokenLogprobs& out) const {
  SEEK_CHECK(num_top >= 0 && num_top <= kMaxTopLogprobs,
             "top_logprobs must be in [0, " << kMaxTopLogprobs << "] (got " << num_top << ")");
  SEEK_ASSERT(chosen >= 0 && chosen < vocab_);
  float max_logit = logits[0];
  for (int32_t i = 1; i < vocab_; ++i) max_logit = std::max(max_logit, logits[i]);
  double sum = 0.0;
  for (int32_t i = 0; i < vocab_; ++i) sum += std::exp(logits[i] - max_logit);
  const double log_z = static_cast<double>(max_logit) + std::log(sum);
  out.chosen = {chosen, static_cast<float>(logits[chosen] - log_z)};

  // The num_top largest logits by insertion into the sorted array: after the first num_top ids a
  // token enters only if it beats the current last, which is rare, so this is one pass over vocab.
  // Ids are visited in increasing order and only a strictly larger logit moves up, so ties keep the
  // lower id first.
  int n = 0;
  for (int32_t i = 0; i < vocab_ && num_top > 0; ++i) {
    const float l = logits[i];
    if (n == num_top && !(l > out.top[static_cast<size_t>(n - 1)].logprob)) continue;
    int pos = n < num_top ? n++ : num_top - 1;
    for (; pos > 0 && l > out.top[static_cast<size_t>(pos - 1)].logprob; --pos)
      out.top[static_cast<size_t>(pos)] = out.top[static_cast<size_t>(pos - 1)];
    out.top[static_cast<size_t>(pos)] = {i, l};  // the logit for now; made a log-prob below
  }
  for (int j = 0; j < n; ++j) {
    TokenLogprob& t = out.top[static_cast<size_t>(j)];
    t.logprob = static_cast<float>(t.logprob - log_z);
  }
  out.num_top = n;
}

}  // namespace seek
