// Pre-tokenizer regular expressions: Hugging Face writes them for Oniguruma (Ruby syntax, what the
// Rust `tokenizers` crate runs); seek runs them with PCRE2 (UTF + UCP, JIT-compiled when the
// library has a JIT). Both are backtracking engines with Perl's leftmost-first alternation, so
// lookahead such as `\s+(?!\S)` and possessive quantifiers behave the same. translate_pattern()
// rewrites the few escapes whose meaning differs:
//   \s \S   Oniguruma: Unicode White_Space (includes U+0085, excludes U+180E); PCRE2's UCP \s
//           also matches U+180E, so seek spells the class out.
//   \h \H   Oniguruma: hexadecimal digit; PCRE2: horizontal space.
//   \w \W   Oniguruma: letters, marks, decimal digits, connector punctuation.
//   \uHHHH  Oniguruma (Ruby) code point escape; PCRE2 needs \x{HHHH}.
//   (?i:x)  HF's tokenizers fold only ASCII here ('S' matches 's', the long s U+017F does not);
//           a case-insensitive group of plain literals becomes explicit classes ([sS]) so that
//           PCRE2's full Unicode folding does not widen it.
// Everything else (\p{..}, classes, lookaround, possessive and lazy quantifiers) passes through.
// Constructs with no faithful PCRE2 spelling (class intersection `&&`, nested classes, \S inside
// a class) are rejected with an error rather than silently changed.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seek {

// The PCRE2 source for an Oniguruma/HF pattern. Throws seek::Error naming the construct.
std::string translate_pattern(std::string_view hf_pattern);

// Per-thread scratch space for matching (PCRE2 match data). Create one per encode call or per
// thread and pass it to any Regex; never share one between threads at the same time.
class RegexScratch {
 public:
  RegexScratch();
  ~RegexScratch();
  RegexScratch(const RegexScratch&) = delete;
  RegexScratch& operator=(const RegexScratch&) = delete;
  void* match_data() const { return match_data_; }

 private:
  void* match_data_;  // pcre2_match_data_8*
};

// A compiled pattern. Immutable after construction, so find_all() may run on many threads at once
// (each with its own scratch).
class Regex {
 public:
  // `pattern` is HF syntax; it is translated, then compiled. Errors name the pattern and offset.
  explicit Regex(std::string_view pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Byte ranges [begin, end) of the successive non-overlapping matches in `text` (valid UTF-8),
  // appended to *out. Like the Rust `onig` crate's find_iter, an empty match right where the
  // previous match ended is skipped and the search moves on one character.
  void find_all(std::string_view text, RegexScratch* scratch, std::vector<std::pair<size_t, size_t>>* out) const;

  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;  // as written in tokenizer.json
  void* code_;           // pcre2_code_8*
  bool jit_;             // JIT compilation succeeded
};

}  // namespace seek
