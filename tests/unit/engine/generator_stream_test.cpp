// What a streaming caller sees from Generator: stop strings end the text without ever showing it
// (even split across tokens), log-probabilities equal log_softmax of the model's own logits computed
// independently, and the same seed still gives the same stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>

#include "core/error.h"
#include "engine/generator.h"
#include "unit/engine/tiny_engine.h"

namespace seek {
namespace {

struct Step {
  int32_t id = -1;
  std::string text;  // released at this step
  std::optional<TokenLogprobs> logprobs;
};

struct Stream {
  std::vector<Step> steps;  // generated tokens, then the final flush (id -1) if any
  std::string text;         // everything released
  GenerateStats stats;
  std::vector<int32_t> ids() const {
    std::vector<int32_t> out;
    for (const Step& s : steps)
      if (s.id >= 0) out.push_back(s.id);
    return out;
  }
};

// Also checks on every step that the text released so far is a prefix of `bound` when given: the
// stream never shows anything the final text will not contain.
Stream run(Generator& g, const std::vector<int32_t>& prompt, const GenerateOptions& o,
           const std::string* bound = nullptr) {
  Stream s;
  s.stats = g.generate(prompt, o, [&](const GeneratedToken& t) {
    Step step{t.id, std::string(t.text), std::nullopt};
    if (t.logprobs != nullptr) step.logprobs = *t.logprobs;
    s.steps.push_back(step);
    s.text += t.text;
    if (bound != nullptr) {
      EXPECT_TRUE(bound->starts_with(s.text)) << "step " << s.steps.size() - 1 << " released '" << s.text << "'";
    }
    return true;
  });
  return s;
}

// The last UTF-8 character of s (s valid and non-empty).
std::string last_char(const std::string& s) {
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return s.substr(i);
}
std::string first_char(const std::string& s) {
  size_t n = 1;
  while (n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) ++n;
  return s.substr(0, n);
}

const std::vector<int32_t> kPrompt = {12, 40, 77, 3, 150, 99, 8, 61, 200, 31, 5, 17, 250, 66};

GenerateOptions sampled(int64_t max_tokens) {
  GenerateOptions o;
  o.sampling.temperature = 0.9f;
  o.sampling.seed = 11;
  o.max_tokens = max_tokens;
  return o;
}

TEST(GeneratorStream, StopStringSplitAcrossTokensIsNeverShown) {
  test::TinyEngine e = test::load_tiny_engine("gen_stop");
  const GenerateOptions plain = sampled(40);
  Generator reference(*e.model, *e.tokenizer);
  const Stream full = run(reference, kPrompt, plain);
  ASSERT_EQ(full.stats.generated_tokens, 40);

  // A stop string straddling two tokens: the last character released at step j and the first at
  // step j + 1, taking the first such boundary after a few steps of text where it does not occur
  // earlier.
  std::string stop;
  size_t stop_at = 0, boundary_step = 0, released = 0;
  for (size_t j = 0; j + 1 < full.steps.size() && stop.empty(); ++j) {
    released += full.steps[j].text.size();
    if (j < 3 || full.steps[j].text.empty() || full.steps[j + 1].text.empty() || full.steps[j + 1].id < 0) continue;
    const std::string candidate = last_char(full.steps[j].text) + first_char(full.steps[j + 1].text);
    const size_t at = released - last_char(full.steps[j].text).size();
    if (full.text.find(candidate) == at) {
      stop = candidate;
      stop_at = at;
      boundary_step = j;
    }
  }
  ASSERT_FALSE(stop.empty()) << "no two consecutive steps released text";

  GenerateOptions o = plain;
  o.stop = {"never in this text \x01\x02", stop};
  const std::string want = full.text.substr(0, stop_at);
  Generator g(*e.model, *e.tokenizer);
  const Stream cut = run(g, kPrompt, o, &want);
  EXPECT_EQ(cut.text, want);
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(cut.text.find(stop), std::string::npos);
  EXPECT_EQ(cut.stats.finish, FinishReason::kStop);
  EXPECT_EQ(cut.stats.stop_string_idx, 1);
  // Generation ends at the token that completes the stop string; the ids before are unchanged.
  const std::vector<int32_t> ids = full.ids();
  EXPECT_EQ(cut.ids(), std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<long>(boundary_step) + 2));
  EXPECT_EQ(cut.stats.generated_tokens, static_cast<int64_t>(boundary_step) + 2);
  ASSERT_GT(cut.steps.size(), boundary_step);
  EXPECT_EQ(cut.steps.back().id, ids[boundary_step + 1]) << "no flush after a stop string";

  // Stop strings that never occur change nothing.
  o.stop = {"never in this text \x01\x02"};
  Generator h(*e.model, *e.tokenizer);
  const Stream same = run(h, kPrompt, o, &full.text);
  EXPECT_EQ(same.text, full.text);
  EXPECT_EQ(same.ids(), ids);
  EXPECT_EQ(same.stats.finish, FinishReason::kLength);
  EXPECT_EQ(same.stats.stop_string_idx, -1);
}

// log_softmax in double over the tokenizer's ids.
std::vector<double> log_softmax(const float* logits, int64_t n) {
  const double mx = *std::max_element(logits, logits + n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - mx);
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<double>(logits[i]) - mx - std::log(sum);
  return out;
}

TEST(GeneratorStream, LogprobsAreTheModelsLogSoftmaxAfterPenalties) {
  test::TinyEngine e = test::load_tiny_engine("gen_logprobs");
  GenerateOptions o = sampled(20);
  o.sampling.top_k = 5;              // truncation and temperature must not change the log-probs
  o.sampling.presence_penalty = 0.7f;  // penalties must
  o.logprobs = true;
  o.top_logprobs = 6;
  Generator g(*e.model, *e.tokenizer);
  const Stream s = run(g, kPrompt, o);
  const std::vector<int32_t> gen = s.ids();
  ASSERT_EQ(gen.size(), 20u);

  // The model's logits for every generated position from one fresh pass over prompt + output.
  std::vector<int32_t> all = kPrompt;
  all.insert(all.end(), gen.begin(), gen.end() - 1);
  const int64_t vocab = e.model->config().vocab_size, n_tok = e.tokenizer->vocab_size();
  const int64_t chunk = e.model->settings().max_batch_tokens, n = static_cast<int64_t>(all.size());
  std::vector<float> logits(static_cast<size_t>(n * vocab));
  KvCache cache = e.model->new_cache();
  for (int64_t i = 0; i < n; i += chunk)
    e.model->forward(all.data() + i, std::min(chunk, n - i), cache, logits.data() + i * vocab, true);

  double worst = 0.0;
  for (size_t i = 0; i < gen.size(); ++i) {
    const int64_t row = static_cast<int64_t>(kPrompt.size() + i) - 1;
    std::vector<float> l(logits.begin() + row * vocab, logits.begin() + row * vocab + n_tok);
    for (size_t j = 0; j < i; ++j) {  // presence penalty: once per distinct token generated before
      if (std::find(gen.begin(), gen.begin() + static_cast<long>(j), gen[j]) == gen.begin() + static_cast<long>(j))
        l[static_cast<size_t>(gen[j])] -= 0.7f;
    }
    const std::vector<double> want = log_softmax(l.data(), n_tok);
    const Step& step = s.steps[i];
    ASSERT_TRUE(step.logprobs.has_value());
    const TokenLogprobs& got = *step.logprobs;
    EXPECT_EQ(got.chosen.id, gen[i]);
    worst = std::max(worst, std::abs(got.chosen.logprob - want[static_cast<size_t>(gen[i])]));
    EXPECT_NEAR(got.chosen.logprob, want[static_cast<size_t>(gen[i])], 1e-4) << "token " << i;

    // The top list: the 6 largest of the independent distribution, in order, consistent with `chosen`.
    std::vector<int32_t> order(static_cast<size_t>(n_tok));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return want[a] > want[b]; });
    ASSERT_EQ(got.num_top, 6);
    double mass = 0.0;
    for (int k = 0; k < got.num_top; ++k) {
      const TokenLogprob& t = got.top[static_cast<size_t>(k)];
      EXPECT_EQ(t.id, order[static_cast<size_t>(k)]) << "token " << i << " rank " << k;
      EXPECT_NEAR(t.logprob, want[static_cast<size_t>(t.id)], 1e-4);
      if (k > 0) {
        EXPECT_GE(got.top[static_cast<size_t>(k - 1)].logprob, t.logprob);
      }
      if (t.id == got.chosen.id) {
        EXPECT_EQ(t.logprob, got.chosen.logprob);
      }
      mass += std::exp(t.logprob);
    }
    EXPECT_LE(mass, 1.0 + 1e-5);
    EXPECT_LE(got.chosen.logprob, got.top[0].logprob);
    // top_k = 5 keeps the chosen token among the five most likely (after the penalty).
    EXPECT_LT(std::find(order.begin(), order.end(), gen[i]) - order.begin(), 5) << "token " << i;
  }
  std::printf("worst |logprob - independent log_softmax| = %.3g\n", worst);

  // Asking for log-probs does not change what is sampled.
  GenerateOptions quiet = o;
  quiet.logprobs = false;
  Generator h(*e.model, *e.tokenizer);
  const Stream q = run(h, kPrompt, quiet);
  EXPECT_EQ(q.ids(), gen);
  for (const Step& step : q.steps) EXPECT_FALSE(step.logprobs.has_value());
}

TEST(GeneratorStream, SameSeedSameStream) {
  test::TinyEngine e = test::load_tiny_engine("gen_seed");
  GenerateOptions o = sampled(30);
  o.logprobs = true;
  o.top_logprobs = kMaxTopLogprobs;
  o.stop = {"\n", "<|"};
  Generator a(*e.model, *e.tokenizer), b(*e.model, *e.tokenizer);
  const Stream x = run(a, kPrompt, o), y = run(b, kPrompt, o);
  ASSERT_EQ(x.steps.size(), y.steps.size());
  for (size_t i = 0; i < x.steps.size(); ++i) {
    EXPECT_EQ(x.steps[i].id, y.steps[i].id);
    EXPECT_EQ(x.steps[i].text, y.steps[i].text);
    ASSERT_EQ(x.steps[i].logprobs.has_value(), y.steps[i].logprobs.has_value());
    if (!x.steps[i].logprobs) continue;
    EXPECT_EQ(x.steps[i].logprobs->chosen.logprob, y.steps[i].logprobs->chosen.logprob);
    for (int k = 0; k < kMaxTopLogprobs; ++k)
      EXPECT_EQ(x.steps[i].logprobs->top[static_cast<size_t>(k)].id, y.steps[i].logprobs->top[static_cast<size_t>(k)].id);
  }
  EXPECT_EQ(x.stats.finish, y.stats.finish);
  // A different seed samples differently.
  o.sampling.seed = 12;
  Generator c(*e.model, *e.tokenizer);
  EXPECT_NE(run(c, kPrompt, o).ids(), x.ids());
}

TEST(GeneratorStream, RejectsBadOptions) {
  test::TinyEngine e = test::load_tiny_engine("gen_bad");
  Generator g(*e.model, *e.tokenizer);
  GenerateOptions o;
  o.top_logprobs = kMaxTopLogprobs + 1;
  EXPECT_THROW(run(g, kPrompt, o), Error);
  o.top_logprobs = 0;
  o.stop = {""};
  EXPECT_THROW(run(g, kPrompt, o), Error);
}

}  // namespace
}  // namespace seek
