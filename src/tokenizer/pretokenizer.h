// The pre-tokenizer: splits normalized text into pieces ("pre-tokens") that BPE encodes one at a
// time. It runs the steps of tokenizer.json's pre_tokenizer in order, each on every piece the
// previous step produced, as Hugging Face's PreTokenizedString does:
//   Split      pieces by a regex (or literal) with one of the five delimiter behaviours
//   ByteLevel  optional prefix space and GPT-2 regex split; the byte-to-alphabet mapping itself is
//              implicit because seek's BPE works on raw bytes
// Empty pieces are dropped after every step.
//
// Immutable after construction; split() may run on many threads, each with its own scratch.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/regex.h"
#include "tokenizer/tokenizer_spec.h"

namespace seek {

// GPT-2's split, used by a ByteLevel step with use_regex (HF ByteLevel::RE).
inline constexpr const char* kByteLevelPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// A literal Split pattern ("String" in tokenizer.json) as a regex: ASCII punctuation escaped.
std::string escape_literal_pattern(std::string_view literal);

// Working memory of one split() call; reuse it across calls on one thread.
struct PreTokenizeScratch {
  RegexScratch regex;
  std::vector<std::string_view> next;                // pieces produced by the current step
  std::vector<std::pair<size_t, size_t>> matches;    // regex matches in one piece
  std::deque<std::string> storage;                   // pieces that had a prefix space added
};

class PreTokenizer {
 public:
  // Compiles every Split pattern; throws seek::Error naming `source` and the pattern on failure.
  PreTokenizer(const std::vector<PreTokenizerStep>& steps, const std::string& source);
  ~PreTokenizer();

  // Replaces *pieces with the pre-tokens of `text`. The views point into `text` or into
  // scratch->storage, so they are valid until the next call with the same scratch.
  void split(std::string_view text, PreTokenizeScratch* scratch, std::vector<std::string_view>* pieces) const;

 private:
  struct Step {
    PreTokenizerStep spec;
    std::unique_ptr<Regex> regex;  // Split, or ByteLevel with use_regex
  };
  void split_piece(const Step& step, std::string_view piece, PreTokenizeScratch* scratch) const;

  std::vector<Step> steps_;
};

}  // namespace seek
