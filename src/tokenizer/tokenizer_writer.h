// Writing a TokenizerSpec as the Hugging Face files tokenizer.json + tokenizer_config.json, in the
// shape DeepSeek-V3's own files have, so that seek (tokenizer_json.cpp), HF `tokenizers` and
// transformers' LlamaTokenizerFast all read them:
//   tokenizer.json         version "1.0"; truncation and padding null; added_tokens with every flag;
//                          the spec's normalizer (null when none) and pre-tokenizer (Split / ByteLevel);
//                          post_processor and decoder ByteLevel, as DeepSeek-V3 writes them (BOS is
//                          added by transformers from add_bos_token, not by a TemplateProcessing);
//                          model BPE with vocab in id order and merges as [left, right] pairs.
//   tokenizer_config.json  bos/eos/pad token, add_bos_token, add_eos_token false, model_max_length,
//                          tokenizer_class, chat_template and added_tokens_decoder.
// The output is a pure function of the spec and options (byte-identical for equal inputs).
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer_spec.h"

namespace seek {

struct TokenizerWriteOptions {
  // transformers class; LlamaTokenizerFast is what DeepSeek-V3/R1 name for byte-level BPE with BOS.
  std::string tokenizer_class = "LlamaTokenizerFast";
  int64_t model_max_length = 131072;  // DeepSeek-V3's context length
};

// The tokenizer.json text. Throws seek::Error when the spec cannot be written faithfully: no
// ByteLevel pre-tokenizer step, a TemplateProcessing post-processor (template_bos_id), or two
// vocabulary entries with one id.
std::string tokenizer_json_text(const TokenizerSpec& spec);

// The tokenizer_config.json text.
std::string tokenizer_config_json_text(const TokenizerSpec& spec, const TokenizerWriteOptions& options = {});

// Creates `dir` if needed and writes both files there, each atomically (a crash leaves the old file
// or the new one, never a partial file). Errors name the path.
void write_tokenizer_dir(const TokenizerSpec& spec, const std::string& dir,
                         const TokenizerWriteOptions& options = {});

}  // namespace seek
