#include "tokenizer/tokenizer_gguf.h"

#include <fstream>
#include <limits>
#include <unordered_map>

#include "core/error.h"
#include "core/log.h"
#include "formats/gguf.h"
#include "formats/gguf_metadata.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/pretokenizer_names.h"
#include "tokenizer/tokenizer.h"

namespace seek {

namespace {

// llama.cpp's keys (gguf-py/gguf/constants.py Keys.Tokenizer).
constexpr const char* kModelKey = "tokenizer.ggml.model";
constexpr const char* kPreKey = "tokenizer.ggml.pre";
constexpr const char* kTokensKey = "tokenizer.ggml.tokens";
constexpr const char* kTokenTypeKey = "tokenizer.ggml.token_type";
constexpr const char* kMergesKey = "tokenizer.ggml.merges";
constexpr const char* kBosKey = "tokenizer.ggml.bos_token_id";
constexpr const char* kEosKey = "tokenizer.ggml.eos_token_id";
constexpr const char* kPadKey = "tokenizer.ggml.padding_token_id";
constexpr const char* kAddBosKey = "tokenizer.ggml.add_bos_token";
constexpr const char* kChatTemplateKey = "tokenizer.chat_template";
// seek's own (tokenizer_gguf.h says why each exists).
constexpr const char* kPreRegexesKey = "seek.tokenizer.pre_regexes";
constexpr const char* kNormalizersKey = "seek.tokenizer.normalizers";
constexpr const char* kIgnoreMergesKey = "seek.tokenizer.ignore_merges";
constexpr const char* kAddedIdsKey = "seek.tokenizer.added_token_ids";
constexpr const char* kAddedFlagsKey = "seek.tokenizer.added_token_flags";
constexpr const char* kSeekBosKey = "seek.tokenizer.bos_token_id";
constexpr const char* kSeekEosKey = "seek.tokenizer.eos_token_id";

// llama.cpp's token types (gguf-py TokenType / llama_token_type).
enum TokenType : int32_t {
  kTypeUndefined = 0,
  kTypeNormal = 1,
  kTypeUnknown = 2,
  kTypeControl = 3,
  kTypeUserDefined = 4,
  kTypeUnused = 5,
  kTypeByte = 6,
};

// convert_hf_to_gguf.py does_token_look_special: added tokens that some models forget to mark
// special but that are control tokens by their spelling (DeepSeek's "<｜User｜>", Qwen's fim tokens).
bool looks_special(std::string_view t) {
  const auto wraps = [&](std::string_view open, std::string_view close) {
    return t.size() >= open.size() + close.size() && t.substr(0, open.size()) == open &&
           t.substr(t.size() - close.size()) == close;
  };
  return t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]" || wraps("<|", "|>") ||
         wraps("<｜", "｜>") || wraps("<unused", ">");
}

// The pre-tokenizer as llama.cpp models one: regexes, each an Isolated split, then the byte-level
// mapping. A ByteLevel step with use_regex is the GPT-2 split at that position; without it (and
// without a prefix space) it only maps bytes, which seek's BPE does implicitly.
std::vector<std::string> pre_tokenizer_regexes(const TokenizerSpec& spec) {
  std::vector<std::string> out;
  for (size_t i = 0; i < spec.pre_tokenizer.size(); ++i) {
    const PreTokenizerStep& step = spec.pre_tokenizer[i];
    switch (step.kind) {
      case PreTokenizerStep::Kind::kSplit:
        SEEK_CHECK(step.behavior == SplitBehavior::kIsolated && !step.invert,
                   spec.source << ": pre_tokenizer step " << i << " (Split '" << step.pattern
                               << "') cannot be stored in GGUF: only non-inverted Isolated splits can");
        out.push_back(step.pattern_is_regex ? step.pattern : escape_literal_pattern(step.pattern));
        break;
      case PreTokenizerStep::Kind::kByteLevel:
        SEEK_CHECK(!step.add_prefix_space,
                   spec.source << ": pre_tokenizer step " << i
                               << " (ByteLevel with add_prefix_space) cannot be stored in GGUF");
        if (step.use_regex) out.push_back(kByteLevelPattern);
        break;
    }
  }
  return out;
}

std::string normalizer_name(NormalizerKind kind) {
  switch (kind) {
    case NormalizerKind::kNfc: return "NFC";
  }
  SEEK_ASSERT(false);
  return {};
}

uint8_t added_flags(const AddedToken& t, bool in_vocab) {
  return static_cast<uint8_t>((t.special ? kAddedSpecial : 0) | (t.normalized ? kAddedNormalized : 0) |
                              (t.lstrip ? kAddedLstrip : 0) | (t.rstrip ? kAddedRstrip : 0) |
                              (t.single_word ? kAddedSingleWord : 0) | (in_vocab ? kAddedInVocab : 0));
}

GgufValue u32_id(int32_t id) { return GgufValue::u32(static_cast<uint32_t>(id)); }

}  // namespace

void add_tokenizer_to_gguf(const TokenizerSpec& spec, int64_t num_vocab_rows, GgufMetadata* md) {
  const Tokenizer tokenizer(spec);  // validates the spec; resolves bos/eos/add_bos as encode() does
  const std::vector<std::string> regexes = pre_tokenizer_regexes(spec);
  const int64_t n = num_vocab_rows > 0 ? num_vocab_rows : tokenizer.vocab_size();
  SEEK_CHECK(tokenizer.vocab_size() <= n,
             spec.source << ": the tokenizer uses ids up to " << tokenizer.vocab_size() - 1
                         << " but the model has only " << n << " vocabulary rows");

  // One string and type per id, as get_vocab_base() builds them for llama.cpp.
  std::vector<std::string> tokens(static_cast<size_t>(n));
  std::vector<int64_t> types(static_cast<size_t>(n), kTypeUnused);
  std::vector<bool> in_vocab(static_cast<size_t>(n), false);
  for (const auto& [text, id] : spec.vocab) {
    tokens[id] = text;
    types[id] = kTypeNormal;
    in_vocab[id] = true;
  }
  std::vector<int64_t> added_ids, added_flag_values;
  for (const AddedToken& t : spec.added_tokens) {
    tokens[t.id] = t.content;
    types[t.id] = t.special || looks_special(t.content) ? kTypeControl : kTypeUserDefined;
    added_ids.push_back(t.id);
    added_flag_values.push_back(added_flags(t, in_vocab[t.id]));
  }
  std::unordered_map<std::string_view, int64_t> seen;  // llama.cpp refuses a string given to two ids
  for (int64_t id = 0; id < n; ++id) {
    if (types[id] == kTypeUnused) tokens[id] = "[PAD" + std::to_string(id) + "]";
    const auto [it, inserted] = seen.emplace(tokens[id], id);
    SEEK_CHECK(inserted, spec.source << ": ids " << it->second << " and " << id << " are both the token '"
                                     << tokens[id] << "'; GGUF needs one string per id");
  }
  std::vector<std::string> merges;
  merges.reserve(spec.merges.size());
  for (size_t i = 0; i < spec.merges.size(); ++i) {
    const auto& [left, right] = spec.merges[i];
    // "a b" is split at its first space, so neither side may hold one (byte-level tokens never do).
    SEEK_CHECK(!left.empty() && !right.empty() && left.find(' ') == std::string::npos &&
                   right.find(' ') == std::string::npos,
               spec.source << ": model.merges[" << i << "] = ('" << left << "', '" << right
                           << "') cannot be written as 'left right'");
    merges.push_back(left + " " + right);
  }

  const std::optional<std::string> pre_name = detect_pre_tokenizer_name(regexes);
  md->set(kModelKey, GgufValue::string("gpt2"));
  // Unrecognised pre-tokenizers get llama.cpp's "default" so that llama.cpp still loads the file
  // (it warns); seek reads seek.tokenizer.pre_regexes instead.
  md->set(kPreKey, GgufValue::string(pre_name.value_or("default")));
  md->set(kTokensKey, GgufValue::string_array(std::move(tokens)));
  md->set(kTokenTypeKey, GgufValue::int_array(GgufType::kI32, types));
  md->set(kMergesKey, GgufValue::string_array(std::move(merges)));
  // The model's bos/eos (config.json) stay as written; the tokenizer's own go to the seek.* keys.
  if (tokenizer.bos_id() && !md->has(kBosKey)) md->set(kBosKey, u32_id(*tokenizer.bos_id()));
  if (tokenizer.eos_id() && !md->has(kEosKey)) md->set(kEosKey, u32_id(*tokenizer.eos_id()));
  md->erase(kPadKey);
  if (spec.pad_token) {
    if (const std::optional<int32_t> pad = tokenizer.token_id(*spec.pad_token))
      md->set(kPadKey, u32_id(*pad));
  }
  md->set(kAddBosKey, GgufValue::boolean(tokenizer.add_bos()));
  md->erase(kChatTemplateKey);
  if (!tokenizer.chat_template().empty())
    md->set(kChatTemplateKey, GgufValue::string(tokenizer.chat_template()));

  std::vector<std::string> normalizers;
  for (const NormalizerKind kind : spec.normalizers) normalizers.push_back(normalizer_name(kind));
  md->set(kPreRegexesKey, GgufValue::string_array(regexes));
  md->set(kNormalizersKey, GgufValue::string_array(std::move(normalizers)));
  md->set(kIgnoreMergesKey, GgufValue::boolean(spec.ignore_merges));
  md->set(kAddedIdsKey, GgufValue::int_array(GgufType::kI32, added_ids));
  md->set(kAddedFlagsKey, GgufValue::int_array(GgufType::kU8, added_flag_values));
  md->set(kSeekBosKey, GgufValue::i32(tokenizer.bos_id().value_or(-1)));
  md->set(kSeekEosKey, GgufValue::i32(tokenizer.eos_id().value_or(-1)));
}

bool gguf_has_tokenizer(const GgufMetadata& md) { return md.has(kModelKey); }

namespace {

// The reader's view of the token list.
struct TokenTable {
  const std::string& file;
  std::vector<std::string> tokens;  // tokenizer.ggml.tokens
  std::vector<int64_t> types;       // tokenizer.ggml.token_type, one per token

  int64_t size() const { return static_cast<int64_t>(tokens.size()); }

  // An id stored under `key`, or nullopt for a negative (seek: "none") or unusable value.
  std::optional<int32_t> id(const GgufMetadata& md, const char* key) const {
    const std::optional<int64_t> v = md.get_int_opt(key);
    if (!v || *v < 0) return std::nullopt;
    SEEK_CHECK(*v < size(),
               file << ": " << key << " = " << *v << " is not a token id (" << size() << " tokens)");
    if (types[*v] == kTypeUnused) {
      // llama.cpp keeps such ids; seek has no text for a placeholder, so it drops them.
      SEEK_LOG_WARN(file << ": " << key << " = " << *v << " names an unused token; ignored");
      return std::nullopt;
    }
    return static_cast<int32_t>(*v);
  }
};

std::vector<NormalizerKind> read_normalizers(const GgufMetadata& md) {
  std::vector<NormalizerKind> out;
  for (const std::string& name : md.get_string_array(kNormalizersKey)) {
    SEEK_CHECK(name == "NFC",
               md.source() << ": " << kNormalizersKey << " holds '" << name << "'; seek knows only NFC");
    out.push_back(NormalizerKind::kNfc);
  }
  return out;
}

void read_merges(const GgufMetadata& md, TokenizerSpec* spec) {
  SEEK_CHECK(md.has(kMergesKey), md.source() << ": metadata key '" << kMergesKey
                                             << "' is missing (a gpt2 tokenizer needs its merges)");
  const std::vector<std::string> merges = md.get_string_array(kMergesKey);
  spec->merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    // As llama.cpp: the first space after the first byte separates the two sides.
    const size_t space = merges[i].find(' ', 1);
    SEEK_CHECK(space != std::string::npos && space + 1 < merges[i].size(),
               md.source() << ": " << kMergesKey << "[" << i << "] = '" << merges[i]
                           << "' is not of the form 'left right'");
    spec->merges.emplace_back(merges[i].substr(0, space), merges[i].substr(space + 1));
  }
}

// Added tokens and vocabulary: exactly as tokenizer.json had them when seek wrote the file, else by
// token type as llama.cpp reads them (control and user-defined tokens matched in raw text).
void read_tokens(const GgufMetadata& md, const TokenTable& table, TokenizerSpec* spec) {
  const std::string& file = md.source();
  const int64_t n = table.size();
  std::vector<bool> added(static_cast<size_t>(n), false), also_vocab(static_cast<size_t>(n), false);
  if (md.has(kAddedIdsKey)) {
    const std::vector<int64_t> ids = md.get_int_array(kAddedIdsKey);
    SEEK_CHECK(md.has(kAddedFlagsKey),
               file << ": " << kAddedIdsKey << " is present but " << kAddedFlagsKey << " is missing");
    const std::vector<int64_t> flags = md.get_int_array(kAddedFlagsKey);
    SEEK_CHECK(flags.size() == ids.size(), file << ": " << kAddedFlagsKey << " has " << flags.size()
                                                << " entries, " << kAddedIdsKey << " " << ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      SEEK_CHECK(ids[i] >= 0 && ids[i] < n, file << ": " << kAddedIdsKey << "[" << i << "] = " << ids[i]
                                                 << " is not a token id (" << n << " tokens)");
      AddedToken t;
      t.id = static_cast<int32_t>(ids[i]);
      t.content = table.tokens[ids[i]];
      t.special = flags[i] & kAddedSpecial;
      t.normalized = flags[i] & kAddedNormalized;
      t.lstrip = flags[i] & kAddedLstrip;
      t.rstrip = flags[i] & kAddedRstrip;
      t.single_word = flags[i] & kAddedSingleWord;
      added[ids[i]] = true;
      also_vocab[ids[i]] = flags[i] & kAddedInVocab;
      spec->added_tokens.push_back(std::move(t));
    }
  } else {
    for (int64_t id = 0; id < n; ++id) {
      const int64_t type = table.types[id];
      if (type != kTypeControl && type != kTypeUnknown && type != kTypeUserDefined) continue;
      if (table.tokens[id].empty()) continue;
      AddedToken t;
      t.id = static_cast<int32_t>(id);
      t.content = table.tokens[id];
      t.special = type != kTypeUserDefined;  // llama.cpp parses control tokens only when asked to
      t.normalized = false;                  // llama.cpp matches them before any normalisation
      added[id] = true;
      spec->added_tokens.push_back(std::move(t));
    }
  }
  for (int64_t id = 0; id < n; ++id) {
    if (table.types[id] == kTypeUnused || table.tokens[id].empty()) continue;
    if (added[id] && !also_vocab[id]) continue;
    spec->vocab.emplace_back(table.tokens[id], static_cast<int32_t>(id));
  }
}

}  // namespace

TokenizerSpec tokenizer_spec_from_gguf(const GgufMetadata& md) {
  const std::string& file = md.source();
  SEEK_CHECK(md.has(kModelKey),
             file << ": no tokenizer in the file (metadata key '" << kModelKey << "' is missing)");
  const std::string model = md.get_string(kModelKey);
  SEEK_CHECK(model == "gpt2", file << ": " << kModelKey << " = '" << model
                                   << "' is not supported; seek reads byte-level BPE tokenizers ('gpt2') only"
                                   << (model == "llama" ? " and 'llama' is SentencePiece" : ""));
  TokenizerSpec spec;
  spec.source = file;

  TokenTable table{file, md.get_string_array(kTokensKey), {}};
  SEEK_CHECK(table.size() > 0 && table.size() < std::numeric_limits<int32_t>::max(),
             file << ": " << kTokensKey << " holds " << table.size() << " tokens");
  table.types = md.has(kTokenTypeKey) ? md.get_int_array(kTokenTypeKey)
                                      : std::vector<int64_t>(table.tokens.size(), kTypeNormal);
  SEEK_CHECK(table.types.size() >= table.tokens.size(), file << ": " << kTokenTypeKey << " has "
                                                             << table.types.size() << " entries for "
                                                             << table.size() << " tokens");

  // The pre-tokenizer: seek's stored regexes, else llama.cpp's list for the name.
  const std::string pre_name = md.get_string_opt(kPreKey).value_or("default");
  if (!md.has(kPreKey) && !md.has(kPreRegexesKey))
    SEEK_LOG_WARN(file << ": " << kPreKey << " is missing; using llama.cpp's 'default' pre-tokenizer");
  const NamedPreTokenizer* named = find_named_pre_tokenizer(pre_name);
  std::vector<std::string> regexes;
  if (md.has(kPreRegexesKey)) {
    regexes = md.get_string_array(kPreRegexesKey);
  } else {
    SEEK_CHECK(named != nullptr, file << ": " << kPreKey << " = '" << pre_name
                                      << "' is not a pre-tokenizer seek knows ("
                                      << known_pre_tokenizer_names() << ")");
    regexes = named->regexes;
  }
  for (std::string& regex : regexes) {
    PreTokenizerStep step;
    step.kind = PreTokenizerStep::Kind::kSplit;
    step.pattern = std::move(regex);
    spec.pre_tokenizer.push_back(std::move(step));
  }
  PreTokenizerStep byte_level;
  byte_level.kind = PreTokenizerStep::Kind::kByteLevel;
  byte_level.use_regex = false;
  spec.pre_tokenizer.push_back(byte_level);
  if (md.has(kNormalizersKey)) {
    spec.normalizers = read_normalizers(md);
  } else if (named) {
    spec.normalizers = named->normalizers;
  }
  spec.ignore_merges = md.get_bool_opt(kIgnoreMergesKey).value_or(named && named->ignore_merges);

  read_merges(md, &spec);
  read_tokens(md, table, &spec);

  const std::optional<int32_t> bos = table.id(md, md.has(kSeekBosKey) ? kSeekBosKey : kBosKey);
  const std::optional<int32_t> eos = table.id(md, md.has(kSeekEosKey) ? kSeekEosKey : kEosKey);
  const std::optional<int32_t> pad = table.id(md, kPadKey);
  if (bos) spec.bos_token = table.tokens[*bos];
  if (eos) spec.eos_token = table.tokens[*eos];
  if (pad) spec.pad_token = table.tokens[*pad];
  spec.add_bos_token = md.get_bool_opt(kAddBosKey).value_or(named && named->add_bos);
  spec.chat_template = md.get_string_opt(kChatTemplateKey).value_or("");
  return spec;
}

bool is_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, sizeof(magic)) && std::string_view(magic, 4) == "GGUF";
}

TokenizerSpec load_gguf_tokenizer_spec(const std::string& path) {
  const GgufFile file = GgufFile::open(path);
  return tokenizer_spec_from_gguf(file.metadata());
}

}  // namespace seek
