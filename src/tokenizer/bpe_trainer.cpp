#include "tokenizer/bpe_trainer.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer_names.h"
#include "tokenizer/utf8.h"

namespace seek {

namespace {

// Adjacent token pair, (left id << 32) | right id.
using Pair = uint64_t;
Pair make_pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}
int32_t left_of(Pair p) { return static_cast<int32_t>(p >> 32); }
int32_t right_of(Pair p) { return static_cast<int32_t>(p & 0xFFFFFFFFu); }

// Where add_text() may cut a long text: just after a '\n' that is followed by a printable ASCII
// character other than space. No match of the DeepSeek-V3 regexes contains "\n" followed by a
// non-whitespace character (every alternative that takes '\n' ends at it or continues only with
// whitespace), none of the added tokens contains '\n', and invalid-UTF-8 repair never spans an
// ASCII byte; so the pieces of the two halves are exactly the pieces of the whole. Returns
// text.size() when there is no such place at or after `target`.
size_t safe_cut(std::string_view text, size_t target) {
  for (size_t nl = text.find('\n', target); nl != std::string_view::npos && nl + 1 < text.size();
       nl = text.find('\n', nl + 1)) {
    const auto next = static_cast<unsigned char>(text[nl + 1]);
    if (next > 0x20 && next < 0x7F) return nl + 1;
  }
  return text.size();
}

std::vector<AddedToken> layout_added_tokens() {
  std::vector<AddedToken> out;
  for (const char* content : kBpeLeadingTokens) out.push_back({content, static_cast<int32_t>(out.size())});
  for (const char* content : kBpeTrailingTokens) out.push_back({content, static_cast<int32_t>(out.size())});
  return out;
}

// The 256 bytes in the order of their byte-level alphabet code points ('!' first, 'Ġ' = space at
// 220): the order of GPT-2's and DeepSeek's byte tokens, and of HF's trainer's sorted alphabet.
std::array<int, 256> bytes_in_alphabet_order() {
  std::array<int, 256> order;
  for (int b = 0; b < 256; ++b) order[b] = b;
  std::sort(order.begin(), order.end(), [](int a, int b) {
    return byte_level::byte_to_char(static_cast<uint8_t>(a)) <
           byte_level::byte_to_char(static_cast<uint8_t>(b));
  });
  return order;
}

struct Word {
  std::vector<int32_t> symbols;  // token ids; bytes 0..255 are their own ids
  int64_t count = 0;             // occurrences in the corpus
};

// Replaces every occurrence of (left, right), scanning left to right as HF's Word::merge does
// ("a a a" -> "aa a"), by `merged`.
void merge_word(std::vector<int32_t>* symbols, int32_t left, int32_t right, int32_t merged) {
  std::vector<int32_t>& s = *symbols;
  size_t out = 0;
  for (size_t i = 0; i < s.size();) {
    if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
      s[out++] = merged;
      i += 2;
    } else {
      s[out++] = s[i++];
    }
  }
  s.resize(out);
}

bool contains_pair(const std::vector<int32_t>& s, int32_t left, int32_t right) {
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] == left && s[i + 1] == right) return true;
  return false;
}

// The merge loop. Token ids here are internal: 0..255 the bytes, then merge results in order.
class Merger {
  struct Entry {
    int64_t count;  // pair count when pushed
    Pair pair;
  };
  // Heap order: higher count first; on equal counts the pair whose final ids (left, then right)
  // are smaller, as Hugging Face's BpeTrainer orders its queue.
  struct Lower {
    const std::vector<int32_t>* rank;  // internal id -> order of its final id
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.count != b.count) return a.count < b.count;
      const int32_t al = (*rank)[left_of(a.pair)], bl = (*rank)[left_of(b.pair)];
      if (al != bl) return al > bl;
      return (*rank)[right_of(a.pair)] > (*rank)[right_of(b.pair)];
    }
  };

 public:
  Merger(std::vector<Word> words, int64_t min_frequency)
      : words_(std::move(words)), min_count_(std::max<int64_t>(min_frequency, 1)) {
    for (int b = 0; b < 256; ++b) add_token(std::string(1, static_cast<char>(b)));
    const std::array<int, 256> order = bytes_in_alphabet_order();
    for (int r = 0; r < 256; ++r) rank_[order[r]] = r;
    for (size_t w = 0; w < words_.size(); ++w) {
      const std::vector<int32_t>& s = words_[w].symbols;
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        const Pair p = make_pair_key(s[i], s[i + 1]);
        pair_counts_[p] += words_[w].count;
        std::vector<int32_t>& list = where_[p];
        if (list.empty() || list.back() != static_cast<int32_t>(w)) list.push_back(static_cast<int32_t>(w));
      }
    }
    for (const auto& [p, count] : pair_counts_)
      if (count >= min_count_) heap_.push_back({count, p});
    std::make_heap(heap_.begin(), heap_.end(), lower());
  }

  // Merges the best pair; false when no pair occurs min_frequency times any more.
  bool merge_next() {
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), lower());
      const Entry top = heap_.back();
      heap_.pop_back();
      const auto it = pair_counts_.find(top.pair);
      const int64_t count = it == pair_counts_.end() ? 0 : it->second;
      if (count != top.count) {
        // Stale: the count fell since the entry was pushed (a rise pushes a fresh entry).
        push(top.pair, count);
        continue;
      }
      apply(top.pair);
      last_count_ = count;
      return true;
    }
    return false;
  }

  const std::vector<std::string>& tokens() const { return tokens_; }  // id -> raw bytes
  const std::vector<Pair>& merges() const { return merges_; }
  int64_t last_count() const { return last_count_; }

 private:
  Lower lower() const { return Lower{&rank_}; }
  void push(Pair p, int64_t count) {
    if (count < min_count_) return;
    heap_.push_back({count, p});
    std::push_heap(heap_.begin(), heap_.end(), lower());
  }

  int32_t add_token(std::string bytes) {
    const auto id = static_cast<int32_t>(tokens_.size());
    token_ids_.emplace(bytes, id);
    tokens_.push_back(std::move(bytes));
    rank_.push_back(id);  // merge results keep their creation order; bytes are ranked in the constructor
    return id;
  }

  void apply(Pair pair) {
    const int32_t left = left_of(pair), right = right_of(pair);
    std::string bytes = tokens_[left] + tokens_[right];
    const auto found = token_ids_.find(bytes);
    const int32_t merged = found != token_ids_.end() ? found->second : add_token(std::move(bytes));
    merges_.push_back(pair);

    std::vector<int32_t> affected = std::move(where_[pair]);
    where_.erase(pair);
    std::sort(affected.begin(), affected.end());
    affected.erase(std::unique(affected.begin(), affected.end()), affected.end());

    // Each affected word's pairs are taken out before the merge and put back after it; summing the
    // changes first keeps the counts exact for overlapping pairs such as ("a", "a") in "a a a".
    deltas_.clear();
    for (const int32_t w : affected) {
      Word& word = words_[w];
      if (!contains_pair(word.symbols, left, right)) continue;  // the index may hold stale words
      std::vector<int32_t>& s = word.symbols;
      for (size_t i = 0; i + 1 < s.size(); ++i) deltas_[make_pair_key(s[i], s[i + 1])] -= word.count;
      merge_word(&s, left, right, merged);
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        const Pair p = make_pair_key(s[i], s[i + 1]);
        deltas_[p] += word.count;
        if (s[i] == merged || s[i + 1] == merged) where_[p].push_back(w);  // only these pairs are new
      }
    }
    for (const auto& [p, delta] : deltas_) {
      if (delta == 0) continue;
      const auto it = pair_counts_.try_emplace(p, 0).first;
      it->second += delta;
      SEEK_ASSERT(it->second >= 0);
      const int64_t count = it->second;
      if (count == 0) pair_counts_.erase(it);
      if (delta > 0) push(p, count);
    }
    SEEK_ASSERT(!pair_counts_.contains(pair));  // every occurrence was merged
  }

  std::vector<Word> words_;
  int64_t min_count_;
  std::vector<std::string> tokens_;                       // id -> raw bytes
  std::vector<int32_t> rank_;                             // id -> order of its final id
  StringMap<int32_t> token_ids_;                          // raw bytes -> id
  std::vector<Pair> merges_;                              // in merge order
  std::unordered_map<Pair, int64_t> pair_counts_;         // pairs with a positive count
  std::unordered_map<Pair, std::vector<int32_t>> where_;  // pair -> words that may hold it
  std::unordered_map<Pair, int64_t> deltas_;              // count changes of one merge
  std::vector<Entry> heap_;                               // max-heap under lower()
  int64_t last_count_ = 0;
};

// The trained merges as a TokenizerSpec in the layout described in bpe_trainer.h.
TokenizerSpec build_spec(const Merger& merger) {
  const std::vector<std::string>& tokens = merger.tokens();
  const auto num_leading = static_cast<int32_t>(std::size(kBpeLeadingTokens));

  const std::array<int, 256> bytes_in_order = bytes_in_alphabet_order();
  std::vector<int32_t> final_id(tokens.size());
  for (int rank = 0; rank < 256; ++rank) final_id[bytes_in_order[rank]] = num_leading + rank;
  for (size_t t = 256; t < tokens.size(); ++t) final_id[t] = num_leading + static_cast<int32_t>(t);

  TokenizerSpec spec;
  spec.source = "trained tokenizer";
  spec.pre_tokenizer = deepseek_v3_pre_tokenizer();
  for (int32_t i = 0; i < num_leading; ++i) spec.vocab.emplace_back(kBpeLeadingTokens[i], i);
  spec.vocab.resize(num_leading + tokens.size());
  for (size_t t = 0; t < tokens.size(); ++t)
    spec.vocab[final_id[t]] = {byte_level::encode_bytes(tokens[t]), final_id[t]};
  for (const Pair p : merger.merges())
    spec.merges.emplace_back(byte_level::encode_bytes(tokens[left_of(p)]),
                             byte_level::encode_bytes(tokens[right_of(p)]));

  // Flags as in DeepSeek-R1's tokenizer.json: BOS/EOS/PAD special and matched in raw text; the
  // role markers and think tags plain added tokens, recognised even when specials are not allowed.
  for (int32_t i = 0; i < num_leading; ++i) {
    AddedToken t;
    t.content = kBpeLeadingTokens[i];
    t.id = i;
    t.special = true;
    spec.added_tokens.push_back(std::move(t));
  }
  auto next_id = static_cast<int32_t>(spec.vocab.size());
  for (const char* content : kBpeTrailingTokens) {
    AddedToken t;
    t.content = content;
    t.id = next_id++;
    t.normalized = true;
    spec.added_tokens.push_back(std::move(t));
  }
  spec.bos_token = kBpeLeadingTokens[0];
  spec.eos_token = kBpeLeadingTokens[1];
  spec.pad_token = kBpeLeadingTokens[2];
  spec.add_bos_token = true;
  spec.chat_template = std::string(deepseek_r1_chat_template());
  return spec;
}

}  // namespace

std::string_view deepseek_r1_chat_template() {
  // Adjacent raw literals, cut at tag boundaries; the "\n" inside are Jinja escapes, not newlines.
  static constexpr std::string_view kTemplate =
      R"J({% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %})J"
      R"J({% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', )J"
      R"J(is_first_sp=true) %}{%- for message in messages %}{%- if message['role'] == 'system' %})J"
      R"J({%- if ns.is_first_sp %}{% set ns.system_prompt = ns.system_prompt + message['content'] %})J"
      R"J({% set ns.is_first_sp = false %}{%- else %}{% set ns.system_prompt = ns.system_prompt + )J"
      R"J('\n\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}{{ bos_token }})J"
      R"J({{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %})J"
      R"J({%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %})J"
      R"J({%- if message['role'] == 'assistant' and 'tool_calls' in message %})J"
      R"J({%- set ns.is_tool = false -%}{%- for tool in message['tool_calls'] %}{%- if not ns.is_first %})J"
      R"J({%- if message['content'] is none %}{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + )J"
      R"J(tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + )J"
      R"J(tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}{%- else %})J"
      R"J({{'<｜Assistant｜>' + message['content'] + '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + )J"
      R"J(tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + )J"
      R"J(tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}{%- endif %})J"
      R"J({%- set ns.is_first = true -%}{%- else %}{{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + )J"
      R"J('<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + )J"
      R"J(tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}{%- endif %}{%- endfor %})J"
      R"J({{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %})J"
      R"J({%- if message['role'] == 'assistant' and 'tool_calls' not in message %}{%- if ns.is_tool %})J"
      R"J({{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}})J"
      R"J({%- set ns.is_tool = false -%}{%- else %}{% set content = message['content'] %})J"
      R"J({% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %})J"
      R"J({{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %})J"
      R"J({%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %})J"
      R"J({{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}})J"
      R"J({%- set ns.is_output_first = false %}{%- else %}{{'<｜tool▁output▁begin｜>' + )J"
      R"J(message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}{%- endfor -%})J"
      R"J({% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %})J"
      R"J({% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %})J";
  return kTemplate;
}

std::vector<PreTokenizerStep> deepseek_v3_pre_tokenizer() {
  const NamedPreTokenizer* named = find_named_pre_tokenizer("deepseek-v3");
  SEEK_ASSERT(named != nullptr);
  std::vector<PreTokenizerStep> steps;
  for (const std::string& regex : named->regexes) {
    PreTokenizerStep step;
    step.kind = PreTokenizerStep::Kind::kSplit;
    step.pattern = regex;
    step.behavior = SplitBehavior::kIsolated;
    steps.push_back(std::move(step));
  }
  PreTokenizerStep byte_level;
  byte_level.kind = PreTokenizerStep::Kind::kByteLevel;
  byte_level.add_prefix_space = false;
  byte_level.use_regex = false;
  steps.push_back(std::move(byte_level));
  return steps;
}

BpeTrainer::BpeTrainer(size_t chunk_bytes)
    : chunk_bytes_(std::max<size_t>(chunk_bytes, 1)),
      pre_tokenizer_(deepseek_v3_pre_tokenizer(), "bpe trainer"),
      added_tokens_(layout_added_tokens()) {}

BpeTrainer::~BpeTrainer() = default;

void BpeTrainer::add_text(std::string_view text) {
  num_text_bytes_ += static_cast<int64_t>(text.size());
  while (!text.empty()) {
    const size_t cut = text.size() > chunk_bytes_ ? safe_cut(text, chunk_bytes_) : text.size();
    count_chunk(text.substr(0, cut));
    text.remove_prefix(cut);
  }
}

void BpeTrainer::count_chunk(std::string_view chunk) {
  std::string repaired;
  if (!utf8::is_valid(chunk)) {
    repaired = utf8::make_valid(chunk);
    chunk = repaired;
  }
  segments_.clear();
  added_tokens_.split(chunk, /*allow_special=*/true, &segments_);
  for (const TextSegment& seg : segments_) {
    if (seg.token_id >= 0) continue;  // an added token is never part of a merge
    pre_tokenizer_.split(chunk.substr(seg.begin, seg.end - seg.begin), &scratch_, &pieces_);
    for (const std::string_view piece : pieces_) {
      const auto it = word_counts_.find(piece);
      if (it != word_counts_.end()) {
        ++it->second;
      } else {
        word_counts_.emplace(std::string(piece), 1);
      }
    }
  }
}

std::vector<BpeWordCount> BpeTrainer::word_counts() const {
  std::vector<BpeWordCount> out;
  out.reserve(word_counts_.size());
  for (const auto& [bytes, count] : word_counts_) out.push_back({bytes, count});
  std::sort(out.begin(), out.end(),
            [](const BpeWordCount& a, const BpeWordCount& b) { return a.bytes < b.bytes; });
  return out;
}

TrainedBpe BpeTrainer::train(const BpeTrainerOptions& options) const {
  SEEK_CHECK(options.vocab_size >= kBpeMinVocabSize,
             "vocab_size " << options.vocab_size << " is too small: the 256 byte tokens and "
                           << kBpeNumAddedTokens << " added tokens need at least " << kBpeMinVocabSize);
  SEEK_CHECK(options.min_frequency >= 0, "min_frequency " << options.min_frequency << " is negative");

  std::vector<Word> words;
  words.reserve(word_counts_.size());
  for (BpeWordCount& wc : word_counts()) {
    Word w;
    for (const char c : wc.bytes) w.symbols.push_back(static_cast<uint8_t>(c));
    w.count = wc.count;
    words.push_back(std::move(w));
  }
  Merger merger(std::move(words), options.min_frequency);
  const int32_t target_tokens = options.vocab_size - kBpeNumAddedTokens;
  while (static_cast<int32_t>(merger.tokens().size()) < target_tokens && merger.merge_next()) {
  }

  TrainedBpe result;
  result.spec = build_spec(merger);
  result.vocab_size = static_cast<int32_t>(merger.tokens().size()) + kBpeNumAddedTokens;
  result.num_merges = static_cast<int32_t>(merger.merges().size());
  result.min_pair_count = merger.last_count();
  return result;
}

}  // namespace seek
