// Unicode data for NFC (see tests/tokenizer/gen_nfc_tables.py, which writes nfc_tables.cpp).
// All tables are sorted by code point and immutable.
#pragma once

#include <cstddef>
#include <cstdint>

namespace seek::nfc_data {

struct CccRange {
  uint32_t first, last;  // inclusive code point range
  uint8_t ccc;           // canonical combining class of every code point in it
};

struct Decomposition {
  uint32_t cp;       // the precomposed code point
  uint32_t first;    // its canonical decomposition, one level: first [second]
  uint32_t second;   // 0 for a singleton decomposition
  uint8_t composes;  // 1 when NFC recomposes first+second back into cp
};

struct CpRange {
  uint32_t first, last;  // inclusive
};

extern const char* const kUnicodeVersion;
extern const CccRange kCombiningClass[];
extern const size_t kCombiningClassSize;
extern const Decomposition kDecomposition[];
extern const size_t kDecompositionSize;
// Code points whose presence means a string may not be in NFC (quick check No/Maybe, or ccc != 0).
extern const CpRange kQuickCheckNo[];
extern const size_t kQuickCheckNoSize;

}  // namespace seek::nfc_data
