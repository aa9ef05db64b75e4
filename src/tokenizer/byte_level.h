// GPT-2's byte-level alphabet: every byte 0..255 is shown as one printable code point, so a BPE
// vocabulary of strings can hold any byte sequence. Printable Latin-1 bytes map to themselves; the
// other 68 bytes (controls, space, 0x7F-0xA0, 0xAD) map to U+0100.. in byte order, so the space
// 0x20 is 'Ġ' (U+0120) and '\n' is 'Ċ' (U+010A).
//
// seek runs BPE on raw bytes and converts vocabulary strings once at load, so these functions are
// used at load and decode time only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seek::byte_level {

// The code point that shows byte b.
char32_t byte_to_char(uint8_t b);

// The byte that code point cp shows, or nullopt when cp is outside the alphabet.
std::optional<uint8_t> char_to_byte(char32_t cp);

// A vocabulary string (UTF-8 of alphabet characters) to the raw bytes it stands for; nullopt when
// some character is outside the alphabet (an added token such as "<｜User｜>").
std::optional<std::string> decode_token(std::string_view token);

// Raw bytes to their alphabet string (UTF-8): the inverse of decode_token.
std::string encode_bytes(std::string_view bytes);

}  // namespace seek::byte_level
