// A tiny byte-level BPE tokenizer.json built in memory for the unit tests: all 256 bytes, a few
// merges, GPT-2-style pre-tokenization, and some added tokens.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "tokenizer/byte_level.h"

namespace seek::test {

struct TinyOptions {
  bool merges_as_arrays = false;  // tokenizers >= 0.20 writes [left, right]; older files "left right"
  bool ignore_merges = false;
  bool nfc = false;
  nlohmann::json pre_tokenizer;   // null: Split(GPT-2 pattern) + ByteLevel(use_regex=false)
};

// Merges in rank order, written as raw byte strings.
inline std::vector<std::pair<std::string, std::string>> tiny_merges() {
  return {{" ", "t"}, {"h", "e"}, {" t", "he"}, {"i", "n"}, {"in", "g"}, {"e", "r"}, {"l", "o"},
          {"lo", "w"}, {"low", "er"}, {"a", "a"}, {"\xE4", "\xB8"}, {"\xE4\xB8", "\xAD"}, {" ", "a"},
          {" a", "a"}};
}

inline nlohmann::json tiny_tokenizer_json(const TinyOptions& options = {}) {
  using nlohmann::json;
  json vocab = json::object();
  int next_id = 0;
  for (int b = 0; b < 256; ++b) vocab[byte_level::encode_bytes(std::string(1, static_cast<char>(b)))] = next_id++;
  json merges = json::array();
  for (const auto& [l, r] : tiny_merges()) {
    const std::string left = byte_level::encode_bytes(l), right = byte_level::encode_bytes(r);
    if (!vocab.contains(left + right)) vocab[left + right] = next_id++;
    if (options.merges_as_arrays) {
      merges.push_back(json::array({left, right}));
    } else {
      merges.push_back(left + " " + right);
    }
  }
  json added = json::array();
  auto add = [&](const std::string& content, bool special, bool lstrip = false, bool rstrip = false) {
    added.push_back({{"id", next_id++}, {"content", content}, {"single_word", false}, {"lstrip", lstrip},
                     {"rstrip", rstrip}, {"normalized", false}, {"special", special}});
  };
  add("<|bos|>", true);
  add("<|special|>", true);
  add("<|special|>x", true);  // longer token sharing a prefix: the longest match wins
  add("<extra>", false);
  add("[L]", false, /*lstrip=*/true);
  add("[R]", false, false, /*rstrip=*/true);

  json pre = options.pre_tokenizer;
  if (pre.is_null()) {
    pre = {{"type", "Sequence"},
           {"pretokenizers",
            {{{"type", "Split"},
              {"pattern", {{"Regex", R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}}},
              {"behavior", "Isolated"},
              {"invert", false}},
             {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
  }
  json root = {{"version", "1.0"},
               {"added_tokens", added},
               {"normalizer", options.nfc ? json{{"type", "NFC"}} : json(nullptr)},
               {"pre_tokenizer", pre},
               {"post_processor", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
               {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
               {"model",
                {{"type", "BPE"},
                 {"dropout", nullptr},
                 {"unk_token", nullptr},
                 {"byte_fallback", false},
                 {"ignore_merges", options.ignore_merges},
                 {"vocab", vocab},
                 {"merges", merges}}}};
  return root;
}

inline std::string tiny_config_json() {
  return R"({"add_bos_token": true, "bos_token": "<|bos|>", "eos_token": {"__type": "AddedToken", "content": "<|special|>"},
             "chat_template": "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}"})";
}

}  // namespace seek::test
