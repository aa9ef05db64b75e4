// StreamDecoder: never emits half a character; its output always equals the lossy batch decode.
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "tiny_tokenizer.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/utf8.h"

namespace seek {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

Tokenizer make_tiny() {
  return Tokenizer(parse_tokenizer_spec(test::tiny_tokenizer_json().dump(), "", "tiny.json"));
}

int32_t byte_id(const Tokenizer& t, uint8_t b) {
  return *t.token_id(byte_level::encode_bytes(std::string(1, static_cast<char>(b))));
}

TEST(StreamDecoder, HoldsSplitCharactersUntilComplete) {
  const Tokenizer t = make_tiny();
  StreamDecoder d(t);
  EXPECT_EQ(d.push(byte_id(t, 'a')), "a");
  EXPECT_EQ(d.push(byte_id(t, 0xE4)), "");
  EXPECT_EQ(d.pending_bytes(), 1u);
  EXPECT_EQ(d.push(byte_id(t, 0xB8)), "");
  EXPECT_EQ(d.push(byte_id(t, 0xAD)), "中");
  EXPECT_EQ(d.pending_bytes(), 0u);
  // A four-byte emoji split across three tokens.
  EXPECT_EQ(d.push(byte_id(t, 0xF0)), "");
  EXPECT_EQ(d.push(*t.token_id(byte_level::encode_bytes("\x9F"))), "");
  EXPECT_EQ(d.push(byte_id(t, 0x99)), "");
  EXPECT_EQ(d.push(byte_id(t, 0x82)), "🙂");
  EXPECT_EQ(d.flush(), "");
}

TEST(StreamDecoder, BrokenSequencesBecomeReplacementCharacters) {
  const Tokenizer t = make_tiny();
  StreamDecoder d(t);
  EXPECT_EQ(d.push(byte_id(t, 0xE4)), "");
  EXPECT_EQ(d.push(byte_id(t, 'A')), kFffd + "A");  // the character can no longer complete
  EXPECT_EQ(d.push(byte_id(t, 0xFF)), kFffd);       // never valid: out at once
  EXPECT_EQ(d.push(byte_id(t, 0xF0)), "");
  EXPECT_EQ(d.push(byte_id(t, 0x9F)), "");
  EXPECT_EQ(d.flush(), kFffd);                      // an unfinished character at the end
  EXPECT_EQ(d.pending_bytes(), 0u);
}

TEST(StreamDecoder, SkipsSpecialTokensWhenAsked) {
  const Tokenizer t = make_tiny();
  EncodeOptions allow;
  allow.allow_special = true;
  StreamDecoder d(t, /*skip_special=*/true);
  std::string out;
  for (const int32_t id : t.encode("the<|special|> lower", allow)) out += d.push(id);
  EXPECT_EQ(out + d.flush(), "the lower");
}

TEST(StreamDecoder, EqualsBatchDecodeOnRandomBytes) {
  const Tokenizer t = make_tiny();
  std::mt19937 rng(1234);
  const std::string pool[] = {"a", " ", "中", "🙂", "é", "\xE4", "\xB8", "\xAD", "\xF0", "\x9F", "\x80", "\xFF",
                              "\xC3", "\xED", "\xA0"};
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes;
    for (int k = 0, n = rng() % 20; k < n; ++k) bytes += pool[rng() % std::size(pool)];
    std::vector<int32_t> ids;
    for (const char c : bytes) ids.push_back(byte_id(t, static_cast<uint8_t>(c)));
    StreamDecoder d(t);
    std::string streamed;
    for (const int32_t id : ids) {
      const std::string piece = d.push(id);
      EXPECT_TRUE(utf8::is_valid(piece));
      streamed += piece;
    }
    streamed += d.flush();
    EXPECT_EQ(streamed, utf8::make_valid(t.decode(ids)));
  }
}

TEST(StreamDecoder, UnknownIdIsAnError) {
  const Tokenizer t = make_tiny();
  StreamDecoder d(t);
  EXPECT_THROW(d.push(t.vocab_size() + 5), Error);
}

}  // namespace
}  // namespace seek
