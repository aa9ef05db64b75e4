// Generator: one conversation's decoding loop over a Model and its KV cache.
//
// generate() takes the full prompt each time; positions whose tokens equal what the cache already
// holds are reused (a multi-turn chat re-feeds only the new turn), the rest is prefilled in chunks of
// the model's batch size, then tokens are sampled one by one until a stop id, max_tokens, a full
// context, or the caller's stop flag. Pieces of text are handed out as they become valid UTF-8.
//
// Not thread-safe; one Generator per conversation. The stop flag may be set from another thread or
// a signal handler.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sampler.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace seek {

enum class FinishReason { kStop, kLength, kContext, kCancelled };
const char* finish_reason_name(FinishReason reason);  // "stop", "length", "context", "cancelled"

struct GenerateStats {
  int64_t prompt_tokens = 0;     // tokens in the prompt
  int64_t cached_tokens = 0;     // of those, reused from the cache
  int64_t generated_tokens = 0;  // sampled tokens (stop token excluded)
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;
  FinishReason finish = FinishReason::kStop;
};

class Generator {
 public:
  Generator(Model& model, const Tokenizer& tokenizer);

  // on_piece(id, text) is called for every generated token with the text it completes (possibly
  // empty while a UTF-8 character is split across tokens); returning false stops generation.
  using PieceCallback = std::function<bool(int32_t id, std::string_view text)>;
  GenerateStats generate(const std::vector<int32_t>& prompt, const SamplingParams& sampling, int64_t max_tokens,
                         const PieceCallback& on_piece, const std::atomic<bool>* stop = nullptr);

  void reset();  // forget the cache
  const std::vector<int32_t>& cached_tokens() const { return tokens_; }
  int64_t context_size() const { return cache_.capacity(); }

 private:
  Model& model_;
  const Tokenizer& tokenizer_;
  KvCache cache_;
  std::vector<int32_t> tokens_;  // the tokens whose keys/values the cache holds, in order
  std::vector<int32_t> stop_ids_;
  std::vector<float> logits_;    // [vocab]
};

}  // namespace seek
