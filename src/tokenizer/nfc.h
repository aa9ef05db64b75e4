// Unicode Normalization Form C (canonical decomposition, then canonical composition), the "NFC"
// normalizer of tokenizer.json (Qwen2/Qwen3 tokenizers use it).
//
// Unicode data comes from nfc_tables.cpp (generated; see its header for the Unicode version).
// Composition pairs are stable across Unicode versions, so results match newer implementations
// for every character assigned in that version.
#pragma once

#include <string>
#include <string_view>

namespace seek {

// True when s is certainly in NFC already (the quick check: no character that could change).
bool nfc_quick_check(std::string_view s);

// The NFC form of s, which must be valid UTF-8. Thread-safe (tables are built once, then only read).
std::string nfc_normalize(std::string_view s);

}  // namespace seek
