// Generator: one conversation's decoding loop over a Model and its KV cache.
//
// generate() takes the full prompt each time; positions whose tokens equal what the cache already
// holds are reused (a multi-turn chat re-feeds only the new turn), the rest is prefilled in chunks of
// the model's batch size, then tokens are sampled one by one until a stop id, a stop string,
// max_tokens, a full context, or the caller's stop flag. Pieces of text are handed out as they become
// valid UTF-8 and, with stop strings, once they cannot be part of one (engine/stop_strings.h).
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
#include "engine/stop_strings.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace seek {

enum class FinishReason { kStop, kLength, kContext, kCancelled };
const char* finish_reason_name(FinishReason reason);  // "stop", "length", "context", "cancelled"

// What one generate() call asks for besides the prompt (the fields of an OpenAI request).
struct GenerateOptions {
  SamplingParams sampling;
  int64_t max_tokens = 128;        // generated tokens at most (a stop token is not counted)
  std::vector<std::string> stop;   // stop strings, at most kMaxStopStrings: text ends before the first one
  bool logprobs = false;           // report each token's log-probability (see sampler.h for which)
  int top_logprobs = 0;            // with logprobs: also the 0..kMaxTopLogprobs most likely tokens
};

// One generation step as the caller sees it.
struct GeneratedToken {
  int32_t id = -1;                          // the sampled token; -1 for the final flush of held text
  std::string_view text;                    // text released by this step: it may be empty (an unfinished
                                            // UTF-8 character, a possible stop string) or complete
                                            // earlier tokens' text; never part of a stop string
  const TokenLogprobs* logprobs = nullptr;  // with options.logprobs, else null; valid during the call
};

struct GenerateStats {
  int64_t prompt_tokens = 0;     // tokens in the prompt
  int64_t cached_tokens = 0;     // of those, reused from the cache
  int64_t generated_tokens = 0;  // sampled tokens (stop token excluded)
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;
  FinishReason finish = FinishReason::kStop;
  int stop_string_idx = -1;      // which of options.stop ended generation, -1 if none did
  int64_t drafted_tokens = 0;    // MTP speculative decoding: tokens proposed by the MTP module
  int64_t accepted_tokens = 0;   // of those, confirmed by the main model
};

class Generator {
 public:
  Generator(Model& model, const Tokenizer& tokenizer);

  // MTP speculative decoding (models with an MTP module): each step verifies the token the MTP module
  // drafted together with the sampled one in a single two-token pass. The main model's own samples
  // are always what is emitted, so the output equals plain decoding for every sampling setting; a
  // correct draft saves a pass.
  void set_speculative(bool on);
  bool speculative() const { return speculative_; }
  // Another draft source for speculative decoding (prompt lookup, a smaller model, a test oracle):
  // given every token so far (ending with `last`, the one just sampled), propose the next. Empty:
  // the MTP module.
  using Drafter = std::function<int32_t(const std::vector<int32_t>& tokens, int32_t last)>;
  void set_drafter(Drafter drafter);

  // on_token is called once for every generated token (stop token excluded), in order, and once more
  // with id -1 if text is still held when generation ends (not after a stop string, whose text and
  // everything after it is dropped). Tokens whose text a stop string cuts are still reported, with
  // their log-probabilities: they were generated and count in the stats. Returning false stops
  // generation (finish reason "cancelled").
  using TokenCallback = std::function<bool(const GeneratedToken& token)>;
  GenerateStats generate(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                         const TokenCallback& on_token, const std::atomic<bool>* stop = nullptr);

  // The same without stop strings or log-probabilities: on_piece(id, text) per token, as above.
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
  std::vector<float> logits_;    // [2, vocab]: the main model's last logits (two rows when verifying)
  std::vector<float> draft_logits_;  // [vocab]
  bool speculative_ = false;
  Drafter drafter_;
  std::vector<int32_t> history_;  // prompt + generated tokens, for an external drafter
  TokenLogprobs logprobs_;        // the current token's, handed to the callback

  // Prefills prompt[keep..) in chunks (feeding the MTP cache too when speculating).
  void prefill(const std::vector<int32_t>& prompt, int64_t keep);
  // The draft after next_tokens[rows - 1]: MTP over the last forward's rows (their next tokens), or
  // the external drafter.
  int32_t draft(const int32_t* next_tokens, int64_t rows);
};

}  // namespace seek
