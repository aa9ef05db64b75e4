// The decoding loop: speculative decoding never changes the output (whatever the drafts), prompt
// prefixes are reused across calls, and limits end generation with the right reason.
#include <gtest/gtest.h>

#include "engine/generator.h"
#include "unit/engine/tiny_engine.h"

namespace seek {
namespace {

using Fixture = test::TinyEngine;
Fixture load(const std::string& name) { return test::load_tiny_engine(name); }

std::vector<int32_t> run(Generator& g, const std::vector<int32_t>& prompt, const SamplingParams& p, int64_t n,
                         GenerateStats* stats = nullptr) {
  std::vector<int32_t> out;
  const GenerateStats s = g.generate(prompt, p, n, [&](int32_t id, std::string_view) {
    if (id >= 0) out.push_back(id);
    return true;
  });
  if (stats) *stats = s;
  return out;
}

const std::vector<int32_t> kPrompt = {12, 40, 77, 3, 150, 99, 8, 61, 200, 31, 5, 17, 250, 66};

TEST(Generator, SpeculationNeverChangesOutput) {
  Fixture f = load("gen_spec");
  for (float temperature : {0.0f, 0.9f}) {
    SamplingParams p;
    p.temperature = temperature;
    p.seed = 7;
    Generator plain(*f.model, *f.tokenizer);
    const std::vector<int32_t> want = run(plain, kPrompt, p, 24);
    ASSERT_EQ(want.size(), 24u);

    Generator mtp(*f.model, *f.tokenizer);
    mtp.set_speculative(true);
    GenerateStats s;
    EXPECT_EQ(run(mtp, kPrompt, p, 24, &s), want) << "MTP drafts, temperature " << temperature;
    EXPECT_GT(s.drafted_tokens, 0);

    // An oracle that knows the answer: almost every draft is accepted, and the output is the same.
    Generator oracle(*f.model, *f.tokenizer);
    oracle.set_drafter([&](const std::vector<int32_t>& tokens, int32_t) {
      const size_t produced = tokens.size() - kPrompt.size();
      return produced < want.size() ? want[produced] : 0;
    });
    oracle.set_speculative(true);
    EXPECT_EQ(run(oracle, kPrompt, p, 24, &s), want) << "oracle drafts";
    EXPECT_EQ(s.accepted_tokens, s.drafted_tokens);
    EXPECT_GE(s.accepted_tokens, 10);

    // Drafts that are always wrong cost passes, never tokens.
    Generator wrong(*f.model, *f.tokenizer);
    wrong.set_drafter([&](const std::vector<int32_t>& tokens, int32_t) {
      const size_t produced = tokens.size() - kPrompt.size();
      return produced < want.size() ? (want[produced] + 1) % 280 : 0;
    });
    wrong.set_speculative(true);
    EXPECT_EQ(run(wrong, kPrompt, p, 24, &s), want) << "wrong drafts";
    EXPECT_EQ(s.accepted_tokens, 0);
  }
}

TEST(Generator, ReusesPromptPrefixAcrossCalls) {
  Fixture f = load("gen_prefix");
  SamplingParams p;
  Generator g(*f.model, *f.tokenizer);
  GenerateStats s;
  const std::vector<int32_t> first = run(g, kPrompt, p, 6, &s);
  EXPECT_EQ(s.cached_tokens, 0);
  std::vector<int32_t> longer = kPrompt;
  longer.insert(longer.end(), first.begin(), first.end());
  longer.push_back(42);
  const std::vector<int32_t> again = run(g, longer, p, 6, &s);
  EXPECT_GE(s.cached_tokens, static_cast<int64_t>(kPrompt.size()));
  Generator fresh(*f.model, *f.tokenizer);
  EXPECT_EQ(run(fresh, longer, p, 6), again);
}

TEST(Generator, LengthAndContextLimits) {
  Fixture f = load("gen_limits");
  SamplingParams p;
  Generator g(*f.model, *f.tokenizer);
  GenerateStats s;
  EXPECT_EQ(run(g, kPrompt, p, 3, &s).size(), 3u);
  EXPECT_EQ(s.finish, FinishReason::kLength);
  run(g, kPrompt, p, 1000, &s);
  EXPECT_TRUE(s.finish == FinishReason::kContext || s.finish == FinishReason::kStop);
  // The last sampled token needs no cache slot: it is never fed back.
  EXPECT_LE(s.prompt_tokens + s.generated_tokens, g.context_size() + 1);
}

}  // namespace
}  // namespace seek
