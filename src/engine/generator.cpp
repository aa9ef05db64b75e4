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
int32_t argmax(const float* x, int64_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
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
      logits_(2 * static_cast<size_t>(model.config().vocab_size)),
      draft_logits_(static_cast<size_t>(model.config().vocab_size)) {
  const ModelConfig& c = model.config();
  SEEK_CHECK(tokenizer.vocab_size() <= c.vocab_size,
             "the tokenizer has " << tokenizer.vocab_size() << " tokens but the model only " << c.vocab_size);
  stop_ids_.assign(c.eos_token_ids.begin(), c.eos_token_ids.end());
  if (tokenizer.eos_id()) stop_ids_.push_back(*tokenizer.eos_id());
}

void Generator::set_speculative(bool on) {
  SEEK_CHECK(!on || model_.has_mtp() || drafter_, "speculative decoding needs a model with an MTP module");
  speculative_ = on;
}

void Generator::set_drafter(Drafter drafter) { drafter_ = std::move(drafter); }

void Generator::reset() {
  cache_.clear();
  tokens_.clear();
}

int32_t Generator::draft(const int32_t* next_tokens, int64_t rows) {
  if (drafter_) return drafter_(history_, next_tokens[rows - 1]);
  model_.forward_mtp(0, next_tokens, rows, cache_, draft_logits_.data(), /*all_logits=*/false);
  return argmax(draft_logits_.data(), tokenizer_.vocab_size());
}

void Generator::prefill(const std::vector<int32_t>& prompt, int64_t keep) {
  const int64_t n = static_cast<int64_t>(prompt.size()), chunk = model_.settings().max_batch_tokens;
  for (int64_t i = keep; i < n; i += chunk) {
    const int64_t len = std::min(chunk, n - i);
    model_.forward(prompt.data() + i, len, cache_, logits_.data(), /*all_logits=*/false);
    tokens_.insert(tokens_.end(), prompt.begin() + i, prompt.begin() + i + len);
    // The MTP module keeps its own cache layer: feed it every chunk but the last (whose final row
    // needs the token sampled next).
    if (speculative_ && !drafter_ && i + len < n) draft(prompt.data() + i + 1, len);
  }
}

GenerateStats Generator::generate(const std::vector<int32_t>& prompt, const SamplingParams& sampling,
                                  int64_t max_tokens, const PieceCallback& on_piece, const std::atomic<bool>* stop) {
  GenerateOptions options;
  options.sampling = sampling;
  options.max_tokens = max_tokens;
  return generate(prompt, options, [&](const GeneratedToken& t) { return on_piece(t.id, t.text); }, stop);
}

GenerateStats Generator::generate(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                                  const TokenCallback& on_token, const std::atomic<bool>* stop) {
  const int64_t max_tokens = options.max_tokens;
  SEEK_CHECK(options.top_logprobs >= 0 && options.top_logprobs <= kMaxTopLogprobs,
             "top_logprobs must be in [0, " << kMaxTopLogprobs << "] (got " << options.top_logprobs << ")");
  StopStrings stop_strings(options.stop);
  SEEK_CHECK(!prompt.empty(), "the prompt is empty");
  const int64_t n = static_cast<int64_t>(prompt.size()), vocab = model_.config().vocab_size;
  SEEK_CHECK(n < cache_.capacity(), "the prompt has " << n << " tokens; the context holds " << cache_.capacity());
  GenerateStats stats;
  stats.prompt_tokens = n;

  // Reuse the longest common prefix, but always recompute the last prompt token: its logits are needed.
  // With speculation the MTP layer must see the last chunk again, so nothing short of it is reused.
  int64_t keep = 0;
  while (keep < static_cast<int64_t>(tokens_.size()) && keep < n - 1 && tokens_[keep] == prompt[keep]) ++keep;
  if (speculative_) keep = 0;
  cache_.truncate(keep);
  tokens_.resize(static_cast<size_t>(keep));
  stats.cached_tokens = keep;

  const auto t0 = std::chrono::steady_clock::now();
  prefill(prompt, keep);
  stats.prefill_seconds = seconds_since(t0);

  // Embedding tables are often padded past the tokenizer's last id (V3: 129,280 rows for 128,815
  // tokens); those rows were never trained, so sampling stays within the tokenizer's ids.
  Sampler sampler(tokenizer_.vocab_size(), options.sampling);
  StreamDecoder decoder(tokenizer_, /*skip_special=*/false);
  std::vector<int32_t> generated;
  generated.reserve(static_cast<size_t>(std::max<int64_t>(max_tokens, 0)));
  const auto t1 = std::chrono::steady_clock::now();
  stats.finish = FinishReason::kLength;

  // Emits one token sampled from `logits` (the row sample() penalised); false when generation must
  // end (stop id, stop string, limit, cancel).
  history_ = prompt;
  auto emit = [&](int32_t token, const float* logits) {
    if (std::find(stop_ids_.begin(), stop_ids_.end(), token) != stop_ids_.end()) {
      stats.finish = FinishReason::kStop;
      return false;
    }
    generated.push_back(token);
    history_.push_back(token);
    ++stats.generated_tokens;
    GeneratedToken out;
    out.id = token;
    if (options.logprobs) {
      sampler.logprobs(logits, token, options.top_logprobs, logprobs_);
      out.logprobs = &logprobs_;
    }
    out.text = stop_strings.push(decoder.push(token));
    const bool go_on = on_token(out);
    if (stop_strings.matched() >= 0) {
      stats.finish = FinishReason::kStop;
      stats.stop_string_idx = stop_strings.matched();
      return false;
    }
    if (!go_on || (stop != nullptr && stop->load())) {
      stats.finish = FinishReason::kCancelled;
      return false;
    }
    if (stats.generated_tokens >= max_tokens) {
      stats.finish = FinishReason::kLength;
      return false;
    }
    return true;
  };

  bool running = max_tokens > 0 && !(stop != nullptr && stop->load());
  if (!running && max_tokens > 0) stats.finish = FinishReason::kCancelled;
  int32_t pending = running ? sampler.sample(logits_.data(), generated) : -1;
  running = running && emit(pending, logits_.data());
  int32_t drafted = -1;
  if (running && speculative_) {
    // Draft after the prompt's last chunk: its rows' next tokens are the prompt's tail and `pending`.
    const int64_t chunk = model_.settings().max_batch_tokens;
    const int64_t last_rows = (n - keep) % chunk == 0 ? std::min(chunk, n - keep) : (n - keep) % chunk;
    std::vector<int32_t> next(prompt.end() - last_rows + 1, prompt.end());
    next.push_back(pending);
    drafted = draft(next.data(), last_rows);
  }
  while (running) {
    const int64_t room = cache_.capacity() - cache_.length();
    if (room < 1) {
      stats.finish = FinishReason::kContext;
      break;
    }
    if (speculative_ && room >= 2) {
      // Verify: one pass over [pending, draft] gives the logits after each.
      const int32_t pair[2] = {pending, drafted};
      model_.forward(pair, 2, cache_, logits_.data(), /*all_logits=*/true);
      ++stats.drafted_tokens;
      const int32_t a = sampler.sample(logits_.data(), generated);
      tokens_.push_back(pending);
      if (a == drafted) {
        ++stats.accepted_tokens;
        tokens_.push_back(drafted);
        if (!emit(a, logits_.data())) break;
        const int32_t b = sampler.sample(logits_.data() + vocab, generated);
        if (!emit(b, logits_.data() + vocab)) break;
        const int32_t next[2] = {a, b};
        drafted = draft(next, 2);
        pending = b;
      } else {
        cache_.truncate(cache_.length() - 1);  // the draft's position is void
        if (!emit(a, logits_.data())) break;
        drafted = draft(&a, 1);
        pending = a;
      }
      continue;
    }
    model_.forward(&pending, 1, cache_, logits_.data(), false);
    tokens_.push_back(pending);
    pending = sampler.sample(logits_.data(), generated);
    if (!emit(pending, logits_.data())) break;
  }
  // Text still held (an unfinished character, a possible start of a stop string) ends the stream,
  // unless a stop string already cut it.
  if (stats.stop_string_idx < 0) {
    std::string rest(stop_strings.push(decoder.flush()));
    if (stop_strings.matched() >= 0) {
      stats.finish = FinishReason::kStop;
      stats.stop_string_idx = stop_strings.matched();
    } else {
      rest += stop_strings.finish();
    }
    GeneratedToken out;
    out.text = rest;
    if (!rest.empty()) on_token(out);
  }
  stats.decode_seconds = seconds_since(t1);
  return stats;
}

}  // namespace seek
