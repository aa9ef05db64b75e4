// BpeTrainer: trains a byte-level BPE tokenizer laid out like DeepSeek-V3/R1's, from raw text.
//
// Counting: each document is split the way the trained tokenizer will encode it (invalid UTF-8
// repaired to U+FFFD, the seven added tokens cut out, DeepSeek-V3's three Split regexes, ByteLevel
// without regex), and every distinct pre-token is counted. The added tokens are cut out because
// encoding always matches them whole, so merges learnt from their text would be dead weight.
//
// Training: starting from the 256 single bytes, repeatedly merge the adjacent pair with the highest
// count (summed over all words); ties go to the lexicographically smallest pair of final ids (left
// id, then right id; byte tokens rank in alphabet order, merge results by age). That is Hugging
// Face BpeTrainer's rule, so from the same pre-tokens both learn the same merges in the same order
// (tests/tokenizer/trained_parity.js checks it). Pair counts are updated incrementally: a merge
// revisits only the words that contain the pair (an index pair -> words), and a max-heap with lazy
// invalidation picks the next pair. Training stops at the target vocabulary size, or earlier when
// no pair is seen min_frequency times. As in HF, a merge whose result is already a token
// (reachable by two merge orders) adds a merge but no new id.
//
// Id layout of the result (DeepSeek-V3's own: its BOS/EOS/PAD are 0/1/2 and its byte tokens
// follow in the byte-level alphabet's code point order, '!' = 3 ... 'Ġ' = 223):
//   0, 1, 2         <｜begin▁of▁sentence｜>, <｜end▁of▁sentence｜>, <｜▁pad▁｜>: special, also in model.vocab
//   3 .. 258        the 256 byte tokens, ordered by their byte-level alphabet code point
//   259 .. V-5      merge results, in merge order
//   V-4 .. V-1      <｜User｜>, <｜Assistant｜>, <think>, </think>: non-special and normalized, as in
//                   R1's tokenizer.json, so they are recognised in plain text
// where V = vocab_size when the corpus yields enough merges (fewer otherwise; see TrainedBpe).
//
// Not thread-safe: one thread adds text and trains. The result is a plain TokenizerSpec that
// Tokenizer can load directly or tokenizer_writer.h can save.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer_spec.h"

namespace seek {

// The DeepSeek tokens of the layout above, in id order within each group.
inline constexpr const char* kBpeLeadingTokens[] = {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>",
                                                    "<｜▁pad▁｜>"};
inline constexpr const char* kBpeTrailingTokens[] = {"<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"};
inline constexpr int32_t kBpeNumAddedTokens = 7;
inline constexpr int32_t kBpeMinVocabSize = kBpeNumAddedTokens + 256;

// DeepSeek-R1's chat template (tokenizer_config.json, the updated release whose generation prompt
// is "<｜Assistant｜><think>\n"), byte for byte as tests/tokenizer/templates/deepseek_r1.jinja.
std::string_view deepseek_r1_chat_template();

// DeepSeek-V3's pre-tokenizer: three Isolated regex splits, then ByteLevel without regex.
std::vector<PreTokenizerStep> deepseek_v3_pre_tokenizer();

struct BpeTrainerOptions {
  int32_t vocab_size = 8192;  // all ids, the 7 added tokens included; at least kBpeMinVocabSize
  // A pair seen fewer times (over the whole corpus) is never merged. 2 by default: a pair seen once
  // only memorises one word of the corpus.
  int64_t min_frequency = 2;
};

struct TrainedBpe {
  TokenizerSpec spec;          // ready for Tokenizer(spec) or write_tokenizer_dir()
  int32_t vocab_size = 0;      // one past the largest id; below the requested size when merges ran out
  int32_t num_merges = 0;      // can exceed the merge tokens when two merges give the same token
  int64_t min_pair_count = 0;  // count of the last merged pair (0 when none)
};

// One distinct pre-token of the corpus (raw bytes) and how often it occurs.
struct BpeWordCount {
  std::string bytes;
  int64_t count = 0;
};

class BpeTrainer {
 public:
  // chunk_bytes: add_text() pre-tokenizes long texts in pieces of about this size, cut only where
  // the result cannot change (see bpe_trainer.cpp); tests pass a small value to exercise the cuts.
  explicit BpeTrainer(size_t chunk_bytes = size_t{1} << 20);
  ~BpeTrainer();
  BpeTrainer(const BpeTrainer&) = delete;
  BpeTrainer& operator=(const BpeTrainer&) = delete;

  // Counts the pre-tokens of one document (a file, or one line: the text is split exactly as
  // Tokenizer::encode would split it as a whole).
  void add_text(std::string_view text);

  // Runs the merges on the words counted so far. Throws seek::Error naming the option at fault.
  // May be called more than once (each call starts again from the counts).
  TrainedBpe train(const BpeTrainerOptions& options) const;

  // The distinct pre-tokens counted so far, sorted by bytes (for tests and reports).
  std::vector<BpeWordCount> word_counts() const;
  int64_t num_text_bytes() const { return num_text_bytes_; }
  size_t num_distinct_words() const { return word_counts_.size(); }

 private:
  void count_chunk(std::string_view chunk);

  size_t chunk_bytes_;
  PreTokenizer pre_tokenizer_;
  AddedTokenMatcher added_tokens_;  // the seven layout tokens, cut out before pre-tokenizing
  StringMap<int64_t> word_counts_;  // pre-token bytes -> occurrences
  int64_t num_text_bytes_ = 0;
  // Scratch reused across add_text() calls, so counting many short documents does not allocate.
  PreTokenizeScratch scratch_;
  std::vector<TextSegment> segments_;
  std::vector<std::string_view> pieces_;
};

}  // namespace seek
