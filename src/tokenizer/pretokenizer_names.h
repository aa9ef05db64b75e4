// llama.cpp's named pre-tokenizers (GGUF key tokenizer.ggml.pre): a GGUF file does not store the
// pre-tokenizer's regexes, only a name that llama.cpp maps to a built-in list (llama-vocab.cpp,
// llm_tokenizer_bpe). seek keeps the lists for the families it runs, each with the settings that
// the same name implies in llama.cpp (ignore_merges, add_bos) and the normalizer of the family's
// tokenizer.json (llama.cpp applies none; seek wants the ids Hugging Face would give).
//
// Every list here is a sequence of regexes applied in order, each splitting every piece into its
// matches and the text between them (HF Split with behavior Isolated), followed by the byte-level
// mapping; for deepseek-v3, deepseek-llm, qwen2 and llama-bpe they are exactly the Split patterns
// of those models' tokenizer.json files, so the ids equal the tokenizer.json ones.
//
// Immutable static data; safe to use from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer_spec.h"

namespace seek {

struct NamedPreTokenizer {
  std::string_view name;                    // canonical tokenizer.ggml.pre value, e.g. "deepseek-v3"
  std::vector<std::string> regexes;         // applied in order, each as an Isolated split
  std::vector<NormalizerKind> normalizers;  // of the family's tokenizer.json (Qwen2: NFC)
  bool ignore_merges = false;               // llama.cpp sets it for llama-bpe (Llama 3 tokenizer.json too)
  bool add_bos = false;                     // llama.cpp's default when tokenizer.ggml.add_bos_token is absent
};

// The entry for a tokenizer.ggml.pre value, accepting llama.cpp's aliases ("llama3", "llama-v3" ->
// llama-bpe; "deepseek-r1-qwen" -> qwen2); nullptr when seek does not know the name.
const NamedPreTokenizer* find_named_pre_tokenizer(std::string_view name);

// The canonical name whose regex list equals `regexes` exactly; nullopt when none does.
std::optional<std::string> detect_pre_tokenizer_name(const std::vector<std::string>& regexes);

// The names find_named_pre_tokenizer() accepts, comma-separated (for error messages).
std::string known_pre_tokenizer_names();

}  // namespace seek
