// Text layers under the tokenizer: UTF-8 repair, the byte-level alphabet, NFC, regex translation
// and the Split pre-tokenizer behaviours.
#include <gtest/gtest.h>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/nfc.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace seek {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, MaximalSubpartsBecomeOneReplacementEach) {
  EXPECT_EQ(utf8::make_valid("ok é 中 🙂"), "ok é 中 🙂");
  EXPECT_EQ(utf8::make_valid("\xF0\x9F\x98"), kFffd);                        // truncated 4-byte: one
  EXPECT_EQ(utf8::make_valid("\xED\xA0\x80"), kFffd + kFffd + kFffd);       // surrogate: three
  EXPECT_EQ(utf8::make_valid("\xC0\xAF"), kFffd + kFffd);                   // overlong: two
  EXPECT_EQ(utf8::make_valid("\xE4\xB8" "A"), kFffd + "A");
  EXPECT_EQ(utf8::make_valid("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(utf8::make_valid("a\x80\xBF" "b"), "a" + kFffd + kFffd + "b");
  EXPECT_TRUE(utf8::is_valid(kFffd));
  EXPECT_FALSE(utf8::is_valid("\xFF"));
}

TEST(Utf8, CompletePrefixHoldsOnlyUnfinishedCharacters) {
  EXPECT_EQ(utf8::complete_prefix_length("ab"), 2u);
  EXPECT_EQ(utf8::complete_prefix_length("ab\xE4\xB8"), 2u);
  EXPECT_EQ(utf8::complete_prefix_length("ab\xE4\xB8\xAD"), 5u);
  EXPECT_EQ(utf8::complete_prefix_length("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(utf8::complete_prefix_length("a\xE4\x41"), 3u);   // can no longer complete
  EXPECT_EQ(utf8::complete_prefix_length("a\xED\xA0"), 3u);   // surrogate range: ill-formed already
  EXPECT_EQ(utf8::complete_prefix_length("a\x80"), 2u);
}

TEST(ByteLevel, AlphabetMatchesGpt2) {
  EXPECT_EQ(byte_level::encode_bytes(" "), "Ġ");
  EXPECT_EQ(byte_level::encode_bytes("\n"), "Ċ");
  EXPECT_EQ(byte_level::encode_bytes("\t"), "ĉ");
  EXPECT_EQ(byte_level::encode_bytes("A~"), "A~");
  EXPECT_EQ(byte_level::encode_bytes("\xAD"), "Ń");
  EXPECT_EQ(byte_level::encode_bytes("\xA0"), "ł");
  EXPECT_EQ(byte_level::encode_bytes("中"), "ä¸Ń");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(byte_level::decode_token(byte_level::encode_bytes(all)), all);
  EXPECT_FALSE(byte_level::decode_token("<｜User｜>").has_value());
}

TEST(Nfc, ComposesReordersAndMapsSingletons) {
  EXPECT_EQ(nfc_normalize("e\xCC\x81"), "é");
  EXPECT_EQ(nfc_normalize("\xE2\x84\xAB"), "Å");                     // U+212B -> U+00C5
  EXPECT_EQ(nfc_normalize("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "각");  // Hangul jamo L V T
  EXPECT_EQ(nfc_normalize("q\xCC\x87\xCC\xA3"), "q\xCC\xA3\xCC\x87");   // canonical order
  EXPECT_EQ(nfc_normalize("\xEF\xA4\x80"), "\xE8\xB1\x88");             // U+F900 -> U+8C48
  EXPECT_EQ(nfc_normalize("a\xCC\xA8\xCC\x81"), "\xC4\x85\xCC\x81");    // ą + acute stays apart
  EXPECT_EQ(nfc_normalize("ﬁ ½"), "ﬁ ½");                               // compatibility forms stay
  EXPECT_TRUE(nfc_quick_check("plain ASCII and 中文"));
  EXPECT_FALSE(nfc_quick_check("e\xCC\x81"));
}

std::vector<std::string> find_all(const std::string& pattern, const std::string& text) {
  Regex re(pattern);
  RegexScratch scratch;
  std::vector<std::pair<size_t, size_t>> spans;
  re.find_all(text, &scratch, &spans);
  std::vector<std::string> out;
  for (const auto& [b, e] : spans) out.push_back(text.substr(b, e - b));
  return out;
}

using Strings = std::vector<std::string>;

TEST(Regex, LookaheadLeavesOneSpaceForTheNextWord) {
  EXPECT_EQ(find_all(R"(\s+(?!\S)|\s+)", "a   b"), (Strings{"  ", " "}));
  EXPECT_EQ(find_all(R"(\s+(?!\S)|\s+)", "a   "), (Strings{"   "}));
}

TEST(Regex, WhitespaceIsUnicodeWhiteSpace) {
  // U+0085 is White_Space (as in Oniguruma); U+180E and U+FEFF are not.
  EXPECT_EQ(find_all(R"(\s)", "\xC2\x85"), (Strings{"\xC2\x85"}));
  EXPECT_TRUE(find_all(R"(\s)", "\xE1\xA0\x8E").empty());
  EXPECT_TRUE(find_all(R"(\s)", "\xEF\xBB\xBF").empty());
  EXPECT_EQ(find_all(R"([^\s\p{L}]+)", "ab\xE1\xA0\x8E!"), (Strings{"\xE1\xA0\x8E!"}));
}

TEST(Regex, CaselessGroupsFoldAsciiOnly) {
  EXPECT_EQ(translate_pattern("(?i:'s|'t)"), "(?:'[sS]|'[tT])");
  EXPECT_EQ(find_all("(?i:'s|'ll)", "it'S we'LL it's x'ſ"), (Strings{"'S", "'LL", "'s"}));
}

TEST(Regex, UnicodeClassesPossessiveAndEscapes) {
  EXPECT_EQ(find_all(R"(\p{N}{1,3})", "12345"), (Strings{"123", "45"}));
  EXPECT_EQ(find_all(R"([^\r\n\p{L}\p{N}]?+\p{L}+)", " héllo wörld"), (Strings{" héllo", " wörld"}));
  EXPECT_TRUE(find_all("a++a", "aaa").empty());
  EXPECT_EQ(find_all(R"(\u4e2d+)", "中中x中"), (Strings{"中中", "中"}));
  EXPECT_EQ(find_all(R"(\h+)", "xx 0fA9 g"), (Strings{"0fA9"}));  // Oniguruma \h: hex digit
}

TEST(Regex, UntranslatableOrInvalidPatternsAreErrors) {
  EXPECT_THROW(Regex("[a-z&&[^aeiou]]"), Error);
  EXPECT_THROW(Regex(R"([\S])"), Error);
  EXPECT_THROW(Regex("(unclosed"), Error);
  EXPECT_THROW(Regex(R"(\u12)"), Error);
}

std::vector<std::string> split_with(SplitBehavior behavior, const std::string& text, bool invert = false) {
  PreTokenizerStep split;
  split.kind = PreTokenizerStep::Kind::kSplit;
  split.pattern = "-";
  split.pattern_is_regex = false;
  split.behavior = behavior;
  split.invert = invert;
  PreTokenizer pre({split}, "test");
  PreTokenizeScratch scratch;
  std::vector<std::string_view> views;
  pre.split(text, &scratch, &views);
  return Strings(views.begin(), views.end());
}

TEST(PreTokenizer, SplitBehavioursMatchHuggingFace) {
  EXPECT_EQ(split_with(SplitBehavior::kRemoved, "a-b--c"), (Strings{"a", "b", "c"}));
  EXPECT_EQ(split_with(SplitBehavior::kIsolated, "a-b--c"), (Strings{"a", "-", "b", "-", "-", "c"}));
  EXPECT_EQ(split_with(SplitBehavior::kMergedWithPrevious, "a-b--c"), (Strings{"a-", "b-", "-", "c"}));
  EXPECT_EQ(split_with(SplitBehavior::kMergedWithNext, "a-b--c"), (Strings{"a", "-b", "-", "-c"}));
  EXPECT_EQ(split_with(SplitBehavior::kContiguous, "a-b--c"), (Strings{"a", "-", "b", "--", "c"}));
  EXPECT_EQ(split_with(SplitBehavior::kRemoved, "a-b--c", /*invert=*/true), (Strings{"-", "-", "-"}));
  EXPECT_TRUE(split_with(SplitBehavior::kIsolated, "").empty());
}

TEST(PreTokenizer, ByteLevelPrefixSpaceAndGpt2Split) {
  PreTokenizerStep byte_level;
  byte_level.kind = PreTokenizerStep::Kind::kByteLevel;
  byte_level.add_prefix_space = true;
  byte_level.use_regex = true;
  PreTokenizer pre({byte_level}, "test");
  PreTokenizeScratch scratch;
  std::vector<std::string_view> views;
  pre.split("Hello world's 42", &scratch, &views);
  EXPECT_EQ(Strings(views.begin(), views.end()), (Strings{" Hello", " world", "'s", " 42"}));
}

}  // namespace
}  // namespace seek
