// Tokenizers embedded in GGUF metadata, in llama.cpp's layout (convert_hf_to_gguf.py
// _set_vocab_gpt2 + gguf-py SpecialVocab), so that a GGUF is self-contained and files written by
// either tool load in the other:
//
//   tokenizer.ggml.model        "gpt2" (byte-level BPE; the only model seek reads)
//   tokenizer.ggml.pre          llama.cpp's pre-tokenizer name (pretokenizer_names.h)
//   tokenizer.ggml.tokens       [n_vocab] strings: vocabulary entries in the byte-level alphabet,
//                               added tokens as their text, "[PAD{id}]" for unused ids
//   tokenizer.ggml.token_type   [n_vocab] i32: 1 normal, 3 control, 4 user-defined, 5 unused
//   tokenizer.ggml.merges       ["left right", ...] in rank order
//   tokenizer.ggml.bos_token_id / eos_token_id / padding_token_id   u32, when known
//   tokenizer.ggml.add_bos_token                                    bool
//   tokenizer.chat_template     Jinja source
//
// and, because those keys cannot say everything tokenizer.json says, seek also writes:
//
//   seek.tokenizer.pre_regexes        the pre-tokenizer as regexes, each an Isolated split, then the
//                                     byte-level mapping (preferred over tokenizer.ggml.pre on read)
//   seek.tokenizer.normalizers        ["NFC"] or []
//   seek.tokenizer.ignore_merges      bool
//   seek.tokenizer.added_token_ids    i32 ids of tokenizer.json's added_tokens, in its order
//   seek.tokenizer.added_token_flags  u8 per added token: kAddedSpecial | kAddedNormalized | ...
//   seek.tokenizer.bos_token_id / eos_token_id   i32, -1 for none: the tokenizer's own, which may
//                                     differ from the model's tokenizer.ggml.* ids (config.json)
//
// A file without the seek.* keys (llama.cpp's) is read the way llama.cpp reads it: control and
// user-defined tokens become added tokens matched in raw text, the pre-tokenizer comes from its name.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer_spec.h"

namespace seek {

class GgufMetadata;

// Bits of seek.tokenizer.added_token_flags (AddedToken's fields, plus whether the id is also an
// entry of tokenizer.json's model.vocab).
enum AddedTokenFlag : uint8_t {
  kAddedSpecial = 1,
  kAddedNormalized = 2,
  kAddedLstrip = 4,
  kAddedRstrip = 8,
  kAddedSingleWord = 16,
  kAddedInVocab = 32,
};

// Adds the tokenizer keys above to *md, replacing any tokenizer keys it holds, except that the
// tokenizer.ggml bos/eos ids are only added when absent (the model's config writes them first).
// `num_vocab_rows` is the model's vocabulary (embedding rows): llama.cpp requires one token per
// row, so the list is padded with unused "[PAD{id}]" tokens (0: the tokenizer's own size).
// Throws seek::Error naming spec.source when the tokenizer cannot be stored: ids past
// num_vocab_rows, two ids with one string, or a pre-tokenizer that is not a list of isolating
// regexes (e.g. a Split with behavior MergedWithPrevious, or ByteLevel with add_prefix_space).
void add_tokenizer_to_gguf(const TokenizerSpec& spec, int64_t num_vocab_rows, GgufMetadata* md);

// Whether the metadata holds a tokenizer (tokenizer.ggml.model is present).
bool gguf_has_tokenizer(const GgufMetadata& md);

// The tokenizer in the metadata; spec.source is md.source(). Throws seek::Error naming the file
// and the key for a missing or malformed key, a tokenizer.ggml.model other than "gpt2" (e.g. the
// SentencePiece "llama"), or a tokenizer.ggml.pre seek does not know.
TokenizerSpec tokenizer_spec_from_gguf(const GgufMetadata& md);

// Whether `path` is a file that starts with the GGUF magic.
bool is_gguf_file(const std::string& path);

// Opens the GGUF file at `path` and reads its tokenizer (tokenizer_spec_from_gguf).
TokenizerSpec load_gguf_tokenizer_spec(const std::string& path);

}  // namespace seek
