// TokenizerSpec: everything that defines a byte-level BPE tokenizer, as plain data. tokenizer.json
// (+ tokenizer_config.json) is read into it by load_tokenizer_spec(); GGUF metadata by
// tokenizer_spec_from_gguf() (tokenizer_gguf.h). Tokenizer (tokenizer.h) builds its run-time tables from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace seek {

// What a Split pre-tokenizer does with the pieces its pattern matches (HF SplitDelimiterBehavior).
enum class SplitBehavior {
  kRemoved,             // matches are dropped
  kIsolated,            // matches and the text between them each become a piece
  kMergedWithPrevious,  // a match joins the piece before it
  kMergedWithNext,      // a match joins the piece after it
  kContiguous,          // runs of matches (and of non-matches) join
};

enum class NormalizerKind {
  kNfc,  // Unicode NFC
};

struct PreTokenizerStep {
  enum class Kind {
    kSplit,      // split every piece by `pattern`
    kByteLevel,  // GPT-2 byte-level step: optional prefix space, optional GPT-2 regex split
  };
  Kind kind = Kind::kSplit;
  // kSplit
  std::string pattern;                              // regex (HF/Oniguruma syntax) or literal string
  bool pattern_is_regex = true;                     // "Regex" vs "String" in tokenizer.json
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;                              // the pattern matches the pieces, not the delimiters
  // kByteLevel
  bool add_prefix_space = false;  // prepend ' ' to a piece that does not start with one
  bool use_regex = true;          // split with the GPT-2 pattern first
};

struct AddedToken {
  std::string content;       // the exact text that stands for the token
  int32_t id = -1;
  bool special = false;      // skipped by decode(skip_special); matched only when special tokens are allowed
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // the match swallows whitespace on its right
  bool normalized = false;   // matched in normalized text (after the normalizer) rather than raw text
  bool single_word = false;  // matched only when not touching word characters on either side
};

struct TokenizerSpec {
  std::string source;  // file it came from, for messages

  // tokenizer.json
  std::vector<NormalizerKind> normalizers;       // applied in order; empty = none
  std::vector<PreTokenizerStep> pre_tokenizer;   // applied in order
  std::vector<std::pair<std::string, int32_t>> vocab;           // byte-level token string -> id
  std::vector<std::pair<std::string, std::string>> merges;      // in rank order
  bool ignore_merges = false;   // a pre-token that is itself in the vocabulary is emitted whole
  std::vector<AddedToken> added_tokens;
  std::optional<int32_t> template_bos_id;  // post_processor TemplateProcessing's leading special token

  // tokenizer_config.json (absent file: defaults)
  std::optional<std::string> bos_token;  // content, e.g. "<｜begin▁of▁sentence｜>"
  std::optional<std::string> eos_token;
  std::optional<std::string> pad_token;  // only carried into GGUF (tokenizer.ggml.padding_token_id)
  std::optional<bool> add_bos_token;     // "add_bos_token" when the file states it
  std::string chat_template;             // Jinja source; empty when none
};

// Reads `path`: a directory holding tokenizer.json (and optionally tokenizer_config.json), or a
// tokenizer.json file (a tokenizer_config.json beside it is read too). Throws seek::Error naming
// the file and the field at fault.
TokenizerSpec load_tokenizer_spec(const std::string& path);

// Parses tokenizer.json text (and tokenizer_config.json text, empty when absent). `source` and
// `config_source` name the two inputs in error messages. Used by load_tokenizer_spec() and tests.
TokenizerSpec parse_tokenizer_spec(const std::string& tokenizer_json, const std::string& config_json,
                                   const std::string& source,
                                   const std::string& config_source = "tokenizer_config.json");

}  // namespace seek
