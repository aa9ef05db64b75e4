// Tokenizer: byte-level BPE text <-> token ids with Hugging Face `tokenizers` semantics, built from
// a tokenizer.json (+ tokenizer_config.json), a GGUF file's tokenizer metadata, or any TokenizerSpec.
//
// encode(text) runs the HF pipeline:
//   1. invalid UTF-8 is repaired (each maximal ill-formed subpart -> U+FFFD, see utf8.h)
//   2. added tokens that are matched in raw text are split out (leftmost-longest)
//   3. every other piece is normalized (e.g. NFC), then added tokens marked "normalized" are split
//   4. the pre-tokenizer splits the rest into pre-tokens
//   5. BPE turns each pre-token into ids
// No BOS/EOS is added unless EncodeOptions::add_bos asks for it.
//
// Thread safety: all const methods may be called concurrently (the BPE word cache is locked).
// Ownership: a Tokenizer owns all its tables; it is movable, not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer_spec.h"

namespace seek {

struct EncodeOptions {
  // Recognise special added tokens (special=true, e.g. "<|im_start|>") written in the text. Off by
  // default so user text cannot inject control tokens; non-special added tokens are always
  // recognised, as in HF. HF's own default corresponds to allow_special = true.
  bool allow_special = false;
  bool add_bos = false;  // prepend bos_id() when the tokenizer has one
};

class Tokenizer {
 public:
  // Loads a model directory (tokenizer.json [+ tokenizer_config.json]), a tokenizer.json path, or a
  // GGUF file with an embedded tokenizer (tokenizer_gguf.h).
  static Tokenizer load(const std::string& path);
  explicit Tokenizer(const TokenizerSpec& spec);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& options = {}) const;
  // Appends to *ids instead of returning a new vector.
  void encode_into(std::string_view text, const EncodeOptions& options, std::vector<int32_t>* ids) const;

  // The bytes the ids stand for, concatenated (may be invalid UTF-8 when a sequence is cut; use
  // utf8::make_valid or StreamDecoder for display). Throws seek::Error on an unknown id.
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

  // Bytes of one token (an added token's bytes follow the same ByteLevel decoder rule as vocabulary
  // entries). Throws seek::Error on an unknown id.
  const std::string& token_bytes(int32_t id) const;
  bool is_special(int32_t id) const;  // an added token marked special
  bool is_valid_id(int32_t id) const;
  // The id of an added token's content, or of a vocabulary entry written in the byte-level alphabet.
  std::optional<int32_t> token_id(std::string_view token) const;
  int32_t vocab_size() const;  // one past the largest id

  std::optional<int32_t> bos_id() const;  // from tokenizer_config.json bos_token, else the post-processor
  std::optional<int32_t> eos_id() const;
  const std::string& bos_token() const;   // content; empty when none
  const std::string& eos_token() const;
  // Whether the model expects BOS before a plain prompt: tokenizer_config.json "add_bos_token" when
  // given, else whether tokenizer.json's post_processor template starts with a special token.
  bool add_bos() const;
  const std::string& chat_template() const;  // Jinja source from tokenizer_config.json, or empty
  const std::string& source() const;         // the tokenizer.json or GGUF path (for messages)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace seek
