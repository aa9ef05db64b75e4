#include "tokenizer/utf8.h"

namespace seek::utf8 {

namespace {

// Table 3-7 of the Unicode standard: the valid range of the second byte depends on the first.
// Returns the sequence length for lead byte b (0 for a byte that cannot start a sequence) and the
// allowed range of the byte after it.
int lead_info(uint8_t b, uint8_t* lo, uint8_t* hi) {
  *lo = 0x80;
  *hi = 0xBF;
  if (b < 0x80) return 1;
  if (b < 0xC2) return 0;
  if (b < 0xE0) return 2;
  if (b < 0xF0) {
    if (b == 0xE0) *lo = 0xA0;
    if (b == 0xED) *hi = 0x9F;  // no surrogates
    return 3;
  }
  if (b < 0xF5) {
    if (b == 0xF0) *lo = 0x90;
    if (b == 0xF4) *hi = 0x8F;  // nothing above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

char32_t decode(std::string_view s, size_t* pos) {
  const size_t i = *pos;
  const uint8_t b0 = static_cast<uint8_t>(s[i]);
  uint8_t lo, hi;
  const int len = lead_info(b0, &lo, &hi);
  if (len == 1) {
    *pos = i + 1;
    return b0;
  }
  if (len == 0) {
    *pos = i + 1;
    return kReplacement;
  }
  char32_t cp = b0 & (0xFF >> (len + 1));
  for (int k = 1; k < len; ++k) {
    if (i + k >= s.size()) {
      *pos = i + k;  // a truncated sequence is one maximal subpart
      return kReplacement;
    }
    const uint8_t b = static_cast<uint8_t>(s[i + k]);
    if (b < lo || b > hi) {
      *pos = i + k;
      return kReplacement;
    }
    lo = 0x80;
    hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  *pos = i + len;
  return cp;
}

void append(std::string* out, char32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_valid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t start = i;
    if (decode(s, &i) == kReplacement) {
      // U+FFFD itself is valid: EF BF BD decodes to it over exactly three bytes.
      if (i - start != 3 || s.compare(start, 3, "\xEF\xBF\xBD") != 0) return false;
    }
  }
  return true;
}

std::string make_valid(std::string_view s) {
  if (is_valid(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    const char32_t cp = decode(s, &i);
    if (cp == kReplacement) {
      append(&out, kReplacement);
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

size_t complete_prefix_length(std::string_view s) {
  // Only the last three bytes can belong to an unfinished sequence.
  const size_t n = s.size();
  const size_t first = n > 3 ? n - 3 : 0;
  for (size_t start = n; start-- > first;) {
    const uint8_t b = static_cast<uint8_t>(s[start]);
    if (b >= 0x80 && b < 0xC0) continue;  // continuation byte: keep looking for its lead
    uint8_t lo, hi;
    const int len = lead_info(b, &lo, &hi);
    if (len <= 1 || start + len <= n) return n;  // ASCII, invalid lead, or a finished sequence
    // The tail is unfinished; it can still complete only if every byte so far is in range.
    for (size_t k = start + 1; k < n; ++k) {
      const uint8_t c = static_cast<uint8_t>(s[k]);
      if (c < lo || c > hi) return n;  // already ill-formed: emit now as U+FFFD
      lo = 0x80;
      hi = 0xBF;
    }
    return start;
  }
  return n;
}

}  // namespace seek::utf8
