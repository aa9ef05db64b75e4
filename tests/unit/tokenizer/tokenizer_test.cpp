// Encode/decode of the tiny in-memory tokenizer: merge order, both merge forms, ignore_merges,
// added-token splitting, normalization, invalid UTF-8, BOS handling.
#include <gtest/gtest.h>

#include <thread>

#include "core/error.h"
#include "tiny_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace seek {
namespace {

Tokenizer make_tiny(const test::TinyOptions& options = {}, const std::string& config = "") {
  return Tokenizer(parse_tokenizer_spec(test::tiny_tokenizer_json(options).dump(), config, "tiny.json"));
}

// The bytes of each token, so expectations read as text.
std::vector<std::string> pieces(const Tokenizer& t, std::string_view text, EncodeOptions options = {}) {
  std::vector<std::string> out;
  for (const int32_t id : t.encode(text, options)) out.push_back(t.token_bytes(id));
  return out;
}

using Pieces = std::vector<std::string>;

TEST(Tokenizer, MergesApplyInRankOrder) {
  const Tokenizer t = make_tiny();
  EXPECT_EQ(pieces(t, " the"), (Pieces{" the"}));
  // e+r (rank 5) merges before l+o (rank 6); the space never joins "lower".
  EXPECT_EQ(pieces(t, " lower"), (Pieces{" ", "lower"}));
  EXPECT_EQ(pieces(t, "the lowering"), (Pieces{"t", "he", " ", "lower", "ing"}));
}

TEST(Tokenizer, EqualRanksMergeLeftmostFirst) {
  const Tokenizer t = make_tiny();
  EXPECT_EQ(pieces(t, "aaa"), (Pieces{"aa", "a"}));
  EXPECT_EQ(pieces(t, "aaaa"), (Pieces{"aa", "aa"}));
  EXPECT_EQ(pieces(t, "aaaaa"), (Pieces{"aa", "aa", "a"}));
}

TEST(Tokenizer, BothMergeFormsGiveTheSameIds) {
  test::TinyOptions arrays;
  arrays.merges_as_arrays = true;
  const Tokenizer legacy = make_tiny();
  const Tokenizer modern = make_tiny(arrays);
  const std::string text = "the lower aaa 中文 ingest, lowering the towers. 12345";
  EXPECT_EQ(legacy.encode(text), modern.encode(text));
  EXPECT_EQ(pieces(modern, "中"), (Pieces{"中"}));
}

TEST(Tokenizer, IgnoreMergesEmitsVocabularyWordsWhole) {
  // " aa": a+a (rank 9) runs before " "+a (rank 11), so BPE never reaches the token " aa".
  EXPECT_EQ(pieces(make_tiny(), " aa"), (Pieces{" ", "aa"}));
  test::TinyOptions options;
  options.ignore_merges = true;
  EXPECT_EQ(pieces(make_tiny(options), " aa"), (Pieces{" aa"}));
}

TEST(Tokenizer, PreTokenizerSplitsWordsNumbersAndSpaces) {
  const Tokenizer t = make_tiny();
  // Digits in groups of three; "  " before a word: one space stays with the word.
  EXPECT_EQ(pieces(t, "12345"), (Pieces{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(t.decode(t.encode("a  the")), "a  the");
  EXPECT_EQ(pieces(t, "a  the"), (Pieces{"a", " ", " the"}));
  EXPECT_EQ(pieces(t, "IT'S"), (Pieces{"I", "T", "'", "S"}));
}

TEST(Tokenizer, SpecialTokensNeedAllowSpecial) {
  const Tokenizer t = make_tiny();
  EncodeOptions allow;
  allow.allow_special = true;
  const int32_t special_x = *t.token_id("<|special|>x");
  const int32_t special = *t.token_id("<|special|>");
  // Longest match: "<|special|>x" wins over its prefix "<|special|>".
  EXPECT_EQ(t.encode("<|special|>x", allow), (std::vector<int32_t>{special_x}));
  const std::vector<int32_t> ids = t.encode("a<|special|>b", allow);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[1], special);
  // Without allow_special the text is ordinary text.
  for (const int32_t id : t.encode("a<|special|>b")) EXPECT_FALSE(t.is_special(id));
  EXPECT_EQ(t.decode(t.encode("a<|special|>b")), "a<|special|>b");
  // Non-special added tokens are always recognised.
  const int32_t extra = *t.token_id("<extra>");
  EXPECT_EQ(t.encode("<extra>"), (std::vector<int32_t>{extra}));
  EXPECT_EQ(pieces(t, "the<extra>the"), (Pieces{"t", "he", "<extra>", "t", "he"}));
}

TEST(Tokenizer, AddedTokenStripFlags) {
  const Tokenizer t = make_tiny();
  EXPECT_EQ(pieces(t, "a   [L]b"), (Pieces{"a", "[L]", "b"}));   // lstrip swallows the spaces before
  EXPECT_EQ(pieces(t, "a[R] \t b"), (Pieces{"a", "[R]", "b"}));  // rstrip swallows those after
  EXPECT_EQ(pieces(t, "a [R]"), (Pieces{"a", " ", "[R]"}));
}

TEST(Tokenizer, SkipSpecialInDecode) {
  const Tokenizer t = make_tiny();
  EncodeOptions allow;
  allow.allow_special = true;
  const std::vector<int32_t> ids = t.encode("<|special|>the<extra>", allow);
  EXPECT_EQ(t.decode(ids), "<|special|>the<extra>");
  EXPECT_EQ(t.decode(ids, /*skip_special=*/true), "the<extra>");
}

TEST(Tokenizer, RoundTripsAnyValidText) {
  const Tokenizer t = make_tiny();
  for (const std::string text : {"", " ", "\n\n\t x", "héllo wörld", "日本語 中文", "🙂👍🏽", "a\r\nb", "'s'll"}) {
    EXPECT_EQ(t.decode(t.encode(text)), text) << text;
  }
}

TEST(Tokenizer, InvalidUtf8BecomesReplacementCharacters) {
  const Tokenizer t = make_tiny();
  // Each maximal ill-formed subpart is one U+FFFD, as when the text is read by a UTF-8 decoder.
  const std::string bad = "a\xF0\x9F\x98 b\xED\xA0\x80\xFF";
  EXPECT_EQ(t.encode(bad), t.encode(utf8::make_valid(bad)));
  EXPECT_EQ(t.decode(t.encode(bad)), "a\xEF\xBF\xBD b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Tokenizer, NfcNormalizerComposes) {
  test::TinyOptions options;
  options.nfc = true;
  const Tokenizer t = make_tiny(options);
  EXPECT_EQ(t.encode("e\xCC\x81"), t.encode("\xC3\xA9"));           // e + U+0301 -> é
  EXPECT_EQ(t.encode("\xE2\x84\xAB"), t.encode("\xC3\x85"));        // U+212B ANGSTROM SIGN -> Å
  EXPECT_NE(make_tiny().encode("e\xCC\x81"), make_tiny().encode("\xC3\xA9"));
}

TEST(Tokenizer, ConfigGivesBosEosAndTemplate) {
  const Tokenizer t = make_tiny({}, test::tiny_config_json());
  ASSERT_TRUE(t.bos_id().has_value());
  EXPECT_EQ(*t.bos_id(), *t.token_id("<|bos|>"));
  EXPECT_EQ(*t.eos_id(), *t.token_id("<|special|>"));
  EXPECT_TRUE(t.add_bos());
  EncodeOptions with_bos;
  with_bos.add_bos = true;
  EXPECT_EQ(t.encode("x", with_bos).front(), *t.bos_id());
  EXPECT_EQ(t.encode("x").size(), 1u);
  EXPECT_FALSE(t.chat_template().empty());
  EXPECT_FALSE(make_tiny().add_bos());
}

TEST(Tokenizer, UnknownIdsAreErrors) {
  const Tokenizer t = make_tiny();
  EXPECT_THROW(t.decode(std::vector<int32_t>{-1}), Error);
  EXPECT_THROW(t.decode(std::vector<int32_t>{t.vocab_size()}), Error);
  EXPECT_FALSE(t.is_valid_id(t.vocab_size()));
  EXPECT_TRUE(t.is_valid_id(0));
}

TEST(Tokenizer, ConcurrentEncodesAgree) {
  const Tokenizer t = make_tiny();
  std::string text;
  for (int i = 0; i < 200; ++i) text += "the lower tower " + std::to_string(i) + " aaa 中文 ";
  const std::vector<int32_t> want = t.encode(text);
  std::vector<std::thread> threads;
  std::vector<bool> ok(4, false);
  for (int k = 0; k < 4; ++k) threads.emplace_back([&, k] { ok[k] = t.encode(text) == want; });
  for (auto& th : threads) th.join();
  for (int k = 0; k < 4; ++k) EXPECT_TRUE(ok[k]);
}

}  // namespace
}  // namespace seek
