#include "tokenizer/pretokenizer_names.h"

#include "tokenizer/pretokenizer.h"

namespace seek {

namespace {

// The patterns are spelled as in llama.cpp's llama-vocab.cpp (ordinary literals: "\r\n" there is
// the two control characters, as in the JSON-decoded tokenizer.json). For llama-bpe and qwen2
// llama.cpp runs a rewrite of the (?i:...) group that its engine can parse; seek keeps the
// tokenizer.json original that llama.cpp quotes beside it, which seek's regex layer folds exactly
// as Hugging Face does (ASCII only). Code points that NFC would replace (U+2126 OHM SIGN, ...) are
// written as \u escapes so that no editor or tool can silently normalise them.
const std::vector<NamedPreTokenizer>& table() {
  static const std::vector<NamedPreTokenizer> kTable = {
      {"deepseek-v3",
       {
           "\\p{N}{1,3}",
           "[一-龥぀-ゟ゠-ヿ]+",
           "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| "
           "?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
       },
       {},
       false,
       false},
      {"deepseek-llm",
       {
           "[\r\n]",
           "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-"
           "ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-"
           "ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-"
           "𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
           "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
           "\\s+$",
           "[一-龥ࠀ-一가-퟿]+",
           "\\p{N}+",
       },
       {},
       false,
       false},
      {"qwen2",
       {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
       {NormalizerKind::kNfc},
       false,
       false},
      {"llama-bpe",
       {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
       {},
       true,
       true},
      // GPT-2's own ByteLevel split (a tokenizer.json whose ByteLevel step has use_regex).
      {"gpt-2", {kByteLevelPattern}, {}, false, false},
      // llama.cpp's fallback for a missing or unrecognised name, kept so such files load as they
      // do there (llama.cpp warns that quality degrades).
      {"default",
       {
           R"([\p{P}\$\+<=>\^~\|]+)",
           R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))",
           R"(\p{N}+)",
           R"([0-9][0-9][0-9])",
       },
       {},
       false,
       false},
  };
  return kTable;
}

struct Alias {
  std::string_view alias, name;
};
// llama.cpp maps these names to the same pre-tokenizer type (llama_vocab::impl::load).
constexpr Alias kAliases[] = {
    {"llama3", "llama-bpe"},
    {"llama-v3", "llama-bpe"},
    {"deepseek-r1-qwen", "qwen2"},
};

}  // namespace

const NamedPreTokenizer* find_named_pre_tokenizer(std::string_view name) {
  for (const Alias& a : kAliases)
    if (a.alias == name) name = a.name;
  for (const NamedPreTokenizer& entry : table())
    if (entry.name == name) return &entry;
  return nullptr;
}

std::optional<std::string> detect_pre_tokenizer_name(const std::vector<std::string>& regexes) {
  for (const NamedPreTokenizer& entry : table())
    if (entry.regexes == regexes) return std::string(entry.name);
  return std::nullopt;
}

std::string known_pre_tokenizer_names() {
  std::string out;
  for (const NamedPreTokenizer& entry : table()) out += (out.empty() ? "" : ", ") + std::string(entry.name);
  for (const Alias& a : kAliases) out += ", " + std::string(a.alias);
  return out;
}

}  // namespace seek
