#include "engine/generator.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "tokenizer/stream_decoder.h"

namespace seek {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kContext: return "context";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "?";
}

Generator::Generator(Model& model, const Tokenizer& tokenizer)
    : model_(model), tokenizer_(tokenizer), cache_(model.new_cache()),
      logits_(static_cast<size_t>(model.config().vocab_size)) {
  const ModelConfig& c = model.config();
  SEEK_CHECK(tokenizer.vocab_size() <= c.vocab_size,
             "the tokenizer has " << tokenizer.vocab_size() << " tokens but the model only " << c.vocab_size);
  stop_ids_.assign(c.eos_token_ids.begin(), c.eos_token_ids.end());
  if (tokenizer.eos_id()) stop_ids_.push_back(*tokenizer.eos_id());
}

void Generator::reset() {
  cache_.clear();
  tokens_.clear();
}

GenerateStats Generator::generate(const std::vector<int32_t>& prompt, const SamplingParams& sampling,
                                  int64_t max_tokens, const PieceCallback& on_piece, const std::atomic<bool>* stop) {
  SEEK_CHECK(!prompt.empty(), "the prompt is empty");
  const int64_t n = static_cast<int64_t>(prompt.size());
  SEEK_CHECK(n < cache_.capacity(), "the prompt has " << n << " tokens; the context holds " << cache_.capacity());
  GenerateStats stats;
  stats.prompt_tokens = n;

  // Reuse the longest common prefix, but always recompute the last prompt token: its logits are needed.
  int64_t keep = 0;
  while (keep < static_cast<int64_t>(tokens_.size()) && keep < n - 1 && tokens_[keep] == prompt[keep]) ++keep;
  cache_.truncate(keep);
  tokens_.resize(static_cast<size_t>(keep));
  stats.cached_tokens = keep;

  const auto t0 = std::chrono::steady_clock::now();
  const int64_t chunk = model_.settings().max_batch_tokens;
  for (int64_t i = keep; i < n; i += chunk) {
    const int64_t len = std::min(chunk, n - i);
    model_.forward(prompt.data() + i, len, cache_, logits_.data(), /*all_logits=*/false);
    tokens_.insert(tokens_.end(), prompt.begin() + i, prompt.begin() + i + len);
  }
  stats.prefill_seconds = seconds_since(t0);

  // Embedding tables are often padded past the tokenizer's last id (V3: 129,280 rows for 128,815
  // tokens); those rows were never trained, so sampling stays within the tokenizer's ids.
  Sampler sampler(tokenizer_.vocab_size(), sampling);
  StreamDecoder decoder(tokenizer_, /*skip_special=*/false);
  std::vector<int32_t> generated;
  generated.reserve(static_cast<size_t>(std::max<int64_t>(max_tokens, 0)));
  const auto t1 = std::chrono::steady_clock::now();
  stats.finish = FinishReason::kLength;
  for (int64_t step = 0; step < max_tokens; ++step) {
    if (stop != nullptr && stop->load()) {
      stats.finish = FinishReason::kCancelled;
      break;
    }
    const int32_t next = sampler.sample(logits_.data(), generated);
    if (std::find(stop_ids_.begin(), stop_ids_.end(), next) != stop_ids_.end()) {
      stats.finish = FinishReason::kStop;
      break;
    }
    generated.push_back(next);
    ++stats.generated_tokens;
    if (!on_piece(next, decoder.push(next))) {
      stats.finish = FinishReason::kCancelled;
      break;
    }
    if (cache_.length() >= cache_.capacity()) {
      stats.finish = FinishReason::kContext;
      break;
    }
    model_.forward(&next, 1, cache_, logits_.data(), false);
    tokens_.push_back(next);
  }
  const std::string rest = decoder.flush();
  if (!rest.empty()) on_piece(-1, rest);
  stats.decode_seconds = seconds_since(t1);
  return stats;
}

}  // namespace seek
