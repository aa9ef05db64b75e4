// Splitting added tokens (special tokens such as "<｜User｜>" or "<|im_start|>") out of text before
// normalization and pre-tokenization, the way Hugging Face's AddedVocabulary does: leftmost-longest
// matching over all token strings (its aho-corasick MatchKind::LeftmostLongest), then the lstrip /
// rstrip / single_word rules of the matched token.
//
// Immutable after construction; safe to use from many threads.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer_spec.h"

namespace seek {

// One piece of a split: either plain text [begin, end) or an added token.
struct TextSegment {
  size_t begin = 0;
  size_t end = 0;
  int32_t token_id = -1;  // -1 for plain text
};

class AddedTokenMatcher {
 public:
  // Matches the given tokens (a subset of a tokenizer's added tokens, e.g. the non-normalized ones).
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

  // Splits `text` into plain-text and token segments covering it in order (plain segments are
  // non-empty). When allow_special is false, tokens marked special are not recognised — the text
  // they match stays plain — as with HF's encode_special_tokens.
  void split(std::string_view text, bool allow_special, std::vector<TextSegment>* out) const;

  bool empty() const { return tokens_.empty(); }

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    int32_t token = -1;                                 // index into tokens_ when a token ends here
  };
  int32_t child(int32_t node, uint8_t byte) const;
  // The longest token starting at text[pos] (index into tokens_ and its end), or -1.
  int32_t longest_at(std::string_view text, size_t pos, size_t* end) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;         // trie over token bytes; node 0 is the root
  bool first_byte_[256] = {};       // bytes that start some token (fast skip)
};

}  // namespace seek
