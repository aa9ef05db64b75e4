// UTF-8 helpers shared by the tokenizer: decoding one code point, the lossy repair of invalid input,
// and the completeness test the streaming decoder needs.
//
// The rule for invalid UTF-8 (one rule, used everywhere text enters the tokenizer): every maximal
// subpart of an ill-formed sequence becomes one U+FFFD, exactly as the WHATWG decoder (Node's
// TextDecoder and fs 'utf8'), Rust's String::from_utf8_lossy and Python's errors="replace" do
// (Unicode 15 §3.9, "U+FFFD substitution of maximal subparts"). So `seek tokenize` on a file with
// invalid bytes gives the ids that Hugging Face tokenizers give for the same file read as text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace seek::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point at s[*pos] and advances *pos past it. On an ill-formed sequence returns
// kReplacement and advances past its maximal subpart (at least one byte).
char32_t decode(std::string_view s, size_t* pos);

// Appends the UTF-8 encoding of cp (cp must be a Unicode scalar value).
void append(std::string* out, char32_t cp);

// True when s is well-formed UTF-8 (no surrogates, no overlongs, nothing above U+10FFFF).
bool is_valid(std::string_view s);

// s with every maximal ill-formed subpart replaced by U+FFFD; returns s unchanged when valid.
std::string make_valid(std::string_view s);

// Length of the longest prefix of s that does not end inside a UTF-8 sequence which could still be
// completed by more bytes. Ill-formed bytes count as complete (they will print as U+FFFD).
size_t complete_prefix_length(std::string_view s);

}  // namespace seek::utf8
