#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace seek::byte_level {

namespace {

bool is_printable_byte(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<char32_t, 256> to_char{};  // byte -> code point
  std::array<int16_t, 324> to_byte{};   // code point (< 324) -> byte, -1 outside the alphabet
};

Tables build_tables() {
  Tables t;
  t.to_byte.fill(-1);
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = is_printable_byte(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(next++);
    t.to_char[b] = cp;
    t.to_byte[cp] = static_cast<int16_t>(b);
  }
  return t;
}

// Built once on first use; immutable afterwards, so safe to read from any thread.
const Tables& tables() {
  static const Tables t = build_tables();
  return t;
}

}  // namespace

char32_t byte_to_char(uint8_t b) { return tables().to_char[b]; }

std::optional<uint8_t> char_to_byte(char32_t cp) {
  if (cp >= tables().to_byte.size()) return std::nullopt;
  const int16_t b = tables().to_byte[cp];
  if (b < 0) return std::nullopt;
  return static_cast<uint8_t>(b);
}

std::optional<std::string> decode_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  size_t pos = 0;
  while (pos < token.size()) {
    const char32_t cp = utf8::decode(token, &pos);
    const std::optional<uint8_t> b = char_to_byte(cp);
    if (!b) return std::nullopt;
    out.push_back(static_cast<char>(*b));
  }
  return out;
}

std::string encode_bytes(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) utf8::append(&out, byte_to_char(static_cast<uint8_t>(c)));
  return out;
}

}  // namespace seek::byte_level
