// Byte-level BPE model: turns one pre-token (raw bytes) into vocabulary ids by applying merges in
// rank order, exactly as Hugging Face's `tokenizers` BPE does: start from one symbol per byte, and
// repeatedly merge the adjacent pair with the lowest merge rank (the leftmost on ties) until no
// pair has a merge. A min-heap of candidate merges over a linked list of symbols makes this
// O(n log n) in the word length.
//
// The vocabulary is kept as raw bytes (the byte-level alphabet is undone once at load), so encode
// never converts text to 'Ġ'-strings.
//
// Thread safety: encode_word() may be called from many threads at once; each passes its own
// BpeScratch. The word cache is shared and guarded by a mutex.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer_spec.h"

namespace seek {

// Hash for std::string keys that also accepts std::string_view, so lookups do not allocate.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Working memory of one encode call (reused across its words).
struct BpeScratch {
  struct Symbol {
    int32_t id;    // vocabulary id of the bytes this symbol covers
    int32_t prev;  // index of the previous live symbol, -1 at the start
    int32_t next;  // index of the next live symbol, -1 at the end
    int32_t len;   // bytes covered; 0 once merged into its left neighbour
  };
  struct Candidate {
    int32_t rank;    // merge rank: lower merges first
    int32_t pos;     // index of the left symbol: leftmost first on equal rank
    int32_t new_id;  // id the merge produces
  };
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
};

class BpeModel {
 public:
  // Builds the tables from spec.vocab / spec.merges. Throws seek::Error (naming spec.source) when a
  // merge refers to a token that is not in the vocabulary.
  explicit BpeModel(const TokenizerSpec& spec);

  // Appends the ids of the pre-token `bytes` to *out.
  void encode_word(std::string_view bytes, BpeScratch* scratch, std::vector<int32_t>* out) const;

  // The id of a vocabulary entry given as raw bytes.
  std::optional<int32_t> find(std::string_view bytes) const;

  // Raw bytes of vocabulary id `id` (HF ByteLevel decoder rule: a token with a character outside
  // the byte-level alphabet decodes to its own UTF-8). nullptr when id is not in the vocabulary.
  const std::string* token_bytes(int32_t id) const;

  // One past the largest vocabulary id.
  int32_t id_limit() const { return static_cast<int32_t>(id_to_bytes_.size()); }

  size_t num_merges() const { return merges_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  const Merge* find_merge(int32_t left, int32_t right) const;
  void merge_symbols(std::string_view bytes, BpeScratch* scratch, std::vector<int32_t>* out) const;

  StringMap<int32_t> vocab_;                    // raw bytes -> id
  std::vector<std::string> id_to_bytes_;        // id -> raw bytes
  std::vector<bool> id_known_;                  // id is in the vocabulary
  std::array<int32_t, 256> byte_id_;            // id of each single byte, -1 when absent
  std::unordered_map<uint64_t, Merge> merges_;  // (left id, right id) -> merge
  bool ignore_merges_;

  // Cache of recent words (bytes -> ids). Bounded: cleared when it reaches kCacheCapacity entries,
  // which keeps memory flat while frequent words refill it at once.
  static constexpr size_t kCacheCapacity = 1 << 15;
  static constexpr size_t kCacheMaxWordBytes = 256;
  mutable std::mutex cache_mutex_;
  mutable StringMap<std::vector<int32_t>> cache_;
};

}  // namespace seek
