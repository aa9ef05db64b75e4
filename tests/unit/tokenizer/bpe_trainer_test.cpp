// BPE training: the merges against a slow full-recount trainer, the DeepSeek id layout, the written
// files loading back into seek (round trips, special tokens, chat template), and determinism.
#include "tokenizer/bpe_trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "core/error.h"
#include "core/mmap_file.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_writer.h"
#include "tokenizer/utf8.h"

namespace seek {
namespace {

namespace fs = std::filesystem;

// A deterministic mixed corpus: English, Chinese, Japanese, code, numbers, emoji, punctuation
// followed by line breaks, DeepSeek's added tokens inside the text, and made-up words of random
// syllables so that there is always more to merge.
std::string make_corpus(uint32_t seed, int num_sentences) {
  static const char* const kWords[] = {
      "the",       "quick",    "brown",    "fox",     "jumps",      "over",      "lazy",
      "dog",       "model",    "token",    "merge",   "pair",       "count",     "language",
      "reason",    "answer",   "question", "because", "data",       "training",  "深度",
      "求索",      "模型",     "分词",     "训练",    "数据",       "我们的",    "日本語",
      "ひらがな",  "カタカナ", "2024",     "3.14159", "1234567",    "😀",         "👍🏽",
      "naïve",     "café",     "Привет",   "мир",     "x = y + 1;", "foo(bar);", "if (a < b) {",
      "}",         "->",       "...",      "don't",   "It's",       "<think>",   "</think>",
      "<｜User｜>"};
  static const char* const kEnds[] = {".", "?", "!\n", ".\n\n", ",", ":\n", " ;", "\n"};
  static const char* const kSyllables[] = {"ka", "ri",  "to",  "mu",  "sen", "dra",
                                           "vo", "lin", "qua", "zet", "pho", "ny"};
  std::mt19937 rng(seed);
  std::string out;
  for (int s = 0; s < num_sentences; ++s) {
    const int n = 3 + static_cast<int>(rng() % 12);
    for (int w = 0; w < n; ++w) {
      if (w) out += (rng() % 9 == 0) ? "  " : " ";
      if (rng() % 3 == 0) {
        for (int k = 2 + static_cast<int>(rng() % 3); k > 0; --k)
          out += kSyllables[rng() % std::size(kSyllables)];
      } else {
        out += kWords[rng() % std::size(kWords)];
      }
    }
    out += kEnds[rng() % std::size(kEnds)];
  }
  return out;
}

const std::string& corpus() {
  static const std::string text = make_corpus(7, 3000);
  return text;
}

TrainedBpe train(const std::string& text, int32_t vocab_size, int64_t min_frequency = 2) {
  BpeTrainer trainer;
  trainer.add_text(text);
  BpeTrainerOptions options;
  options.vocab_size = vocab_size;
  options.min_frequency = min_frequency;
  return trainer.train(options);
}

// The written files, loaded back through the tokenizer.json reader.
Tokenizer load_written(const TokenizerSpec& spec) {
  return Tokenizer(
      parse_tokenizer_spec(tokenizer_json_text(spec), tokenizer_config_json_text(spec), "trained.json"));
}

// The slow twin: recount every pair of every word before each merge; best = highest count, then
// the smallest (rank of left, rank of right), where single bytes rank in byte-level alphabet order
// and merge results after them in creation order (Hugging Face BpeTrainer's tie rule).
std::vector<std::pair<std::string, std::string>> reference_merges(const std::vector<BpeWordCount>& words,
                                                                  size_t target_tokens,
                                                                  int64_t min_frequency) {
  std::vector<std::vector<std::string>> symbols;
  for (const BpeWordCount& w : words) {
    symbols.emplace_back();
    for (const char c : w.bytes) symbols.back().emplace_back(1, c);
  }
  std::map<std::string, int> rank;  // token -> tie-break rank
  for (int b = 0; b < 256; ++b) {
    const std::string byte(1, static_cast<char>(b));
    rank[byte] =
        static_cast<int>(byte_level::byte_to_char(static_cast<uint8_t>(b)));  // orders like the ranks
  }
  std::vector<std::pair<std::string, std::string>> merges;
  while (rank.size() < target_tokens) {
    std::map<std::pair<std::string, std::string>, int64_t> counts;
    for (size_t w = 0; w < symbols.size(); ++w)
      for (size_t i = 0; i + 1 < symbols[w].size(); ++i)
        counts[{symbols[w][i], symbols[w][i + 1]}] += words[w].count;
    const std::pair<std::string, std::string>* best = nullptr;
    int64_t best_count = 0;
    for (const auto& [pair, count] : counts) {
      const bool better = count > best_count ||
                          (count == best_count && std::make_pair(rank[pair.first], rank[pair.second]) <
                                                      std::make_pair(rank[best->first], rank[best->second]));
      if (better) {
        best = &pair;
        best_count = count;
      }
    }
    if (best == nullptr || best_count < std::max<int64_t>(min_frequency, 1)) break;
    const auto [left, right] = *best;
    for (std::vector<std::string>& s : symbols) {
      std::vector<std::string> merged;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
          merged.push_back(left + right);
          ++i;
        } else {
          merged.push_back(s[i]);
        }
      }
      s = std::move(merged);
    }
    merges.emplace_back(left, right);
    rank.try_emplace(left + right, 1000 + static_cast<int>(merges.size()));  // after every byte (max 0x143)
  }
  return merges;
}

TEST(BpeTrainer, MergesEqualFullRecountTrainer) {
  BpeTrainer trainer;
  const std::string text = make_corpus(11, 800);
  trainer.add_text(text);
  BpeTrainerOptions options;
  options.vocab_size = 700;
  const TrainedBpe trained = trainer.train(options);
  ASSERT_EQ(trained.vocab_size, 700);

  const auto want = reference_merges(trainer.word_counts(), 700 - kBpeNumAddedTokens, options.min_frequency);
  ASSERT_EQ(trained.spec.merges.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& [left, right] = trained.spec.merges[i];
    ASSERT_EQ(byte_level::decode_token(left).value_or("?"), want[i].first) << "merge " << i;
    ASSERT_EQ(byte_level::decode_token(right).value_or("?"), want[i].second) << "merge " << i;
  }
}

TEST(BpeTrainer, TiesGoToTheSmallestIds) {
  // Pre-tokens "ab", " ab", " cd", " cd": ("a", "b"), ("c", "d") and ("Ġ", "c") all occur twice.
  // Byte tokens rank in alphabet order ('a' < 'c' < 'Ġ'); then ("Ġ", "cd") is the only pair left
  // with two occurrences.
  const TrainedBpe t = train("ab ab cd cd", kBpeMinVocabSize + 3, 2);
  ASSERT_EQ(t.spec.merges.size(), 3u);
  EXPECT_EQ(t.spec.merges[0], (std::pair<std::string, std::string>{"a", "b"}));
  EXPECT_EQ(t.spec.merges[1], (std::pair<std::string, std::string>{"c", "d"}));
  EXPECT_EQ(t.spec.merges[2], (std::pair<std::string, std::string>{"Ġ", "cd"}));
}

TEST(BpeTrainer, MinFrequencyStopsEarly) {
  const TrainedBpe t = train("ab ab cd cd", 1000, 3);
  EXPECT_EQ(t.spec.merges.size(), 0u);
  EXPECT_EQ(t.vocab_size, kBpeMinVocabSize);
  const Tokenizer tok = load_written(t.spec);
  EXPECT_EQ(tok.vocab_size(), kBpeMinVocabSize);
  EXPECT_EQ(tok.token_id("</think>"), kBpeMinVocabSize - 1);  // trailing tokens follow the bytes
}

TEST(BpeTrainer, RejectsBadOptions) {
  BpeTrainer trainer;
  trainer.add_text("hello");
  BpeTrainerOptions options;
  options.vocab_size = 100;
  try {
    trainer.train(options);
    FAIL() << "vocab_size 100 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab_size 100 is too small"), std::string::npos) << e.what();
  }
}

TEST(BpeTrainer, IdLayoutFollowsDeepSeek) {
  const TrainedBpe t = train(corpus(), 1000);
  ASSERT_EQ(t.vocab_size, 1000);
  const Tokenizer tok = load_written(t.spec);
  EXPECT_EQ(tok.vocab_size(), 1000);
  EXPECT_EQ(tok.token_id("<｜begin▁of▁sentence｜>"), 0);
  EXPECT_EQ(tok.token_id("<｜end▁of▁sentence｜>"), 1);
  EXPECT_EQ(tok.token_id("<｜▁pad▁｜>"), 2);
  // Byte tokens in alphabet order, exactly where DeepSeek-V3 has them.
  EXPECT_EQ(tok.token_id("!"), 3);
  EXPECT_EQ(tok.token_id("Ġ"), 223);
  EXPECT_EQ(tok.token_id("Ā"), 191);
  for (int b = 0; b < 256; ++b) {
    const std::optional<int32_t> id =
        tok.token_id(byte_level::encode_bytes(std::string(1, static_cast<char>(b))));
    ASSERT_TRUE(id.has_value()) << b;
    EXPECT_TRUE(*id >= 3 && *id < 259) << b;
  }
  EXPECT_EQ(tok.token_id("<｜User｜>"), 996);
  EXPECT_EQ(tok.token_id("<｜Assistant｜>"), 997);
  EXPECT_EQ(tok.token_id("<think>"), 998);
  EXPECT_EQ(tok.token_id("</think>"), 999);
  EXPECT_EQ(tok.bos_id(), 0);
  EXPECT_EQ(tok.eos_id(), 1);
  EXPECT_TRUE(tok.add_bos());
  EXPECT_TRUE(tok.is_special(0) && tok.is_special(1) && tok.is_special(2));
  EXPECT_FALSE(tok.is_special(996) || tok.is_special(998));
  for (int32_t id = 0; id < tok.vocab_size(); ++id) ASSERT_TRUE(tok.is_valid_id(id)) << "gap at id " << id;
}

TEST(BpeTrainer, SpecialTokensEncodeToTheirIds) {
  const Tokenizer tok = load_written(train(corpus(), 1000).spec);
  EncodeOptions special;
  special.allow_special = true;
  const std::string text =
      "<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜><think>\nok</think>done<｜end▁of▁sentence｜>";
  const std::vector<int32_t> ids = tok.encode(text, special);
  ASSERT_GE(ids.size(), 8u);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids[1], 996);
  EXPECT_EQ(ids.back(), 1);
  EXPECT_NE(std::find(ids.begin(), ids.end(), 997), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), 998), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), 999), ids.end());
  EXPECT_EQ(tok.decode(ids), text);

  // Without allow_special, BOS is plain text; the think tags and role markers are still
  // recognised, as in R1's tokenizer where they are non-special added tokens.
  const std::vector<int32_t> plain = tok.encode(text);
  EXPECT_NE(plain.front(), 0);
  EXPECT_NE(std::find(plain.begin(), plain.end(), 998), plain.end());
  EXPECT_EQ(tok.decode(plain), text);
  EXPECT_EQ(tok.decode(ids, /*skip_special=*/true), "<｜User｜>hi<｜Assistant｜><think>\nok</think>done");
}

TEST(BpeTrainer, HeldOutTextRoundTrips) {
  const Tokenizer tok = load_written(train(corpus(), 1000).spec);
  const std::string held_out[] = {
      "Zebras quizzically juxtapose xylophones; 9876543210 is 10 digits.\n\n\tIndented\r\nline",
      "深度求索发布了新的语言模型，我们很高兴。日本語のテキストとカタカナ、ひらがな。한국어 텍스트",
      "Emoji: 🧑‍💻 👨‍👩‍👧‍👦 🇯🇵 1️⃣ and math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ∑∫√ — “quotes” "
      "«guillemets»",
      "code: for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }  // comment\n",
      "   leading and trailing spaces   \u00a0\u3000end",
      std::string("nul \0 byte and control \x01\x7f chars", 35),
  };
  for (const std::string& text : held_out) {
    const std::vector<int32_t> ids = tok.encode(text);
    EXPECT_EQ(tok.decode(ids), text);
    EXPECT_LT(ids.size(), text.size()) << "no compression at all: " << text;
  }
  // Invalid UTF-8 is repaired to U+FFFD (each maximal ill-formed subpart) before encoding.
  const std::string invalid = "bad \xFF\xFE bytes \xE4\xB8 cut \xED\xA0\x80 surrogate";
  EXPECT_EQ(tok.decode(tok.encode(invalid)), utf8::make_valid(invalid));
  EXPECT_NE(tok.decode(tok.encode(invalid)).find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(BpeTrainer, AddedTokensAreCutOutOfTrainingText) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "<think>\nreason</think><｜User｜>q<｜Assistant｜>";
  const TrainedBpe t = train(text, 400);
  for (const auto& [token, id] : t.spec.vocab) {
    const std::string bytes = byte_level::decode_token(token).value_or(token);
    EXPECT_EQ(bytes.find("think"), std::string::npos) << "token " << id << " '" << bytes << "'";
    EXPECT_EQ(bytes.find("Assist"), std::string::npos) << "token " << id << " '" << bytes << "'";
  }
}

TEST(BpeTrainer, ChunkedCountingEqualsWholeText) {
  // Cuts every ~64 bytes must give the counts of one pass over the whole text.
  BpeTrainer whole(size_t{1} << 30), chunked(64);
  whole.add_text(corpus());
  chunked.add_text(corpus());
  const std::vector<BpeWordCount> a = whole.word_counts(), b = chunked.word_counts();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].bytes, b[i].bytes);
    ASSERT_EQ(a[i].count, b[i].count) << a[i].bytes;
  }
  // And they are the counts of the DeepSeek-V3 pre-tokenizer run once over the whole text (here a
  // text without added tokens, which the trainer cuts out first).
  std::string text = make_corpus(3, 400);
  for (const std::string token : {"<think>", "</think>", "<｜User｜>"}) {
    for (size_t pos; (pos = text.find(token)) != std::string::npos;) text.erase(pos, token.size());
  }
  const PreTokenizer pre(deepseek_v3_pre_tokenizer(), "test");
  PreTokenizeScratch scratch;
  std::vector<std::string_view> pieces;
  pre.split(text, &scratch, &pieces);
  std::map<std::string, int64_t> want;
  for (const std::string_view p : pieces) ++want[std::string(p)];
  BpeTrainer small(32);
  small.add_text(text);
  std::map<std::string, int64_t> got;
  for (const BpeWordCount& w : small.word_counts()) got[w.bytes] = w.count;
  EXPECT_EQ(got, want);
}

TEST(BpeTrainer, DeterministicFiles) {
  const TrainedBpe a = train(corpus(), 900), b = train(corpus(), 900);
  EXPECT_EQ(tokenizer_json_text(a.spec), tokenizer_json_text(b.spec));
  EXPECT_EQ(tokenizer_config_json_text(a.spec), tokenizer_config_json_text(b.spec));
}

TEST(BpeTrainer, WrittenFilesParseBackToTheSpec) {
  const TrainedBpe t = train(corpus(), 800);
  const TokenizerSpec back =
      parse_tokenizer_spec(tokenizer_json_text(t.spec), tokenizer_config_json_text(t.spec), "trained.json");
  auto sorted_vocab = [](std::vector<std::pair<std::string, int32_t>> v) {
    std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
    return v;
  };
  EXPECT_EQ(sorted_vocab(back.vocab), sorted_vocab(t.spec.vocab));
  EXPECT_EQ(back.merges, t.spec.merges);
  ASSERT_EQ(back.added_tokens.size(), t.spec.added_tokens.size());
  for (size_t i = 0; i < back.added_tokens.size(); ++i) {
    EXPECT_EQ(back.added_tokens[i].content, t.spec.added_tokens[i].content);
    EXPECT_EQ(back.added_tokens[i].id, t.spec.added_tokens[i].id);
    EXPECT_EQ(back.added_tokens[i].special, t.spec.added_tokens[i].special);
    EXPECT_EQ(back.added_tokens[i].normalized, t.spec.added_tokens[i].normalized);
  }
  ASSERT_EQ(back.pre_tokenizer.size(), 4u);
  EXPECT_EQ(back.pre_tokenizer[0].pattern, "\\p{N}{1,3}");
  EXPECT_EQ(back.pre_tokenizer[3].kind, PreTokenizerStep::Kind::kByteLevel);
  EXPECT_FALSE(back.pre_tokenizer[3].use_regex);
  EXPECT_FALSE(back.pre_tokenizer[3].add_prefix_space);
  EXPECT_TRUE(back.normalizers.empty());
  EXPECT_EQ(back.bos_token, "<｜begin▁of▁sentence｜>");
  EXPECT_EQ(back.pad_token, "<｜▁pad▁｜>");
  EXPECT_EQ(back.add_bos_token, true);
}

TEST(BpeTrainer, ChatTemplateIsR1) {
  EXPECT_EQ(std::string(deepseek_r1_chat_template()),
            read_file(std::string(SEEK_SOURCE_DIR) + "/tests/tokenizer/templates/deepseek_r1.jinja"));
  const Tokenizer tok = load_written(train(corpus(), 600).spec);
  const ChatTemplate chat = ChatTemplate::for_tokenizer(tok);
  EXPECT_EQ(chat.style().name, "deepseek-r1");
  EXPECT_EQ(chat.style().generation_prompt, "<｜Assistant｜><think>\n");
  const std::vector<ChatMessage> messages = {{"user", "Hi", {}, {}}};
  EXPECT_EQ(chat.render(messages), "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n");
}

TEST(BpeTrainer, WriteDirLoads) {
  const fs::path dir = fs::temp_directory_path() / ("seek_bpe_trainer_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const TrainedBpe t = train(corpus(), 600);
  write_tokenizer_dir(t.spec, (dir / "out").string());
  const Tokenizer tok = Tokenizer::load((dir / "out").string());
  EXPECT_EQ(tok.vocab_size(), 600);
  EXPECT_EQ(tok.decode(tok.encode("the quick 深度 fox")), "the quick 深度 fox");
  // A file where the directory should be is named in the error.
  write_file_atomic((dir / "file").string(), "x", 1);
  try {
    write_tokenizer_dir(t.spec, (dir / "file").string());
    ADD_FAILURE() << "wrote into a file path";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "file").string()), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace seek
