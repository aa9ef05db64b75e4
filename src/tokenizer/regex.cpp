#include "tokenizer/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cctype>

#include "core/error.h"

namespace seek {

namespace {

// Oniguruma's \s: the Unicode White_Space property.
constexpr const char* kSpaceSet =
    "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}"
    "\\x{3000}";
constexpr const char* kWordSet = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
constexpr const char* kHexSet = "0-9A-Fa-f";

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Rewrites a case-insensitive group "(?i:" ... ")" made only of literals and '|' into explicit
// ASCII classes. Returns false (and writes nothing) when the group holds anything else.
bool rewrite_caseless_group(std::string_view p, size_t* pos, std::string* out) {
  size_t i = *pos + 4;  // past "(?i:"
  std::string body;
  while (i < p.size() && p[i] != ')') {
    const char c = p[i];
    // Anything but ASCII literals (a non-ASCII letter folds beyond ASCII) keeps PCRE2's own (?i:).
    if (c == '(' || c == '[' || c == '*' || c == '+' || c == '?' || c == '{' || c == '.' || c == '^' ||
        c == '$' || static_cast<unsigned char>(c) >= 0x80)
      return false;
    if (c == '\\') {
      if (i + 1 >= p.size() || std::isalnum(static_cast<unsigned char>(p[i + 1]))) return false;
      body.append(p.substr(i, 2));
      i += 2;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      body += '[';
      body += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      body += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      body += ']';
    } else {
      body += c;
    }
    ++i;
  }
  if (i >= p.size()) return false;
  *out += "(?:" + body + ")";
  *pos = i + 1;
  return true;
}

}  // namespace

std::string translate_pattern(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 64);
  bool in_class = false;
  size_t i = 0;
  while (i < p.size()) {
    const char c = p[i];
    if (c == '\\') {
      SEEK_CHECK(i + 1 < p.size(), "regex '" << p << "' ends with a lone backslash");
      const char e = p[i + 1];
      switch (e) {
        case 's':
          out += in_class ? std::string(kSpaceSet) : "[" + std::string(kSpaceSet) + "]";
          break;
        case 'S':
          SEEK_CHECK(!in_class, "regex '" << p << "': \\S inside a character class is not supported");
          out += "[^" + std::string(kSpaceSet) + "]";
          break;
        case 'w':
          out += in_class ? std::string(kWordSet) : "[" + std::string(kWordSet) + "]";
          break;
        case 'W':
          SEEK_CHECK(!in_class, "regex '" << p << "': \\W inside a character class is not supported");
          out += "[^" + std::string(kWordSet) + "]";
          break;
        case 'h':
          out += in_class ? std::string(kHexSet) : "[" + std::string(kHexSet) + "]";
          break;
        case 'H':
          SEEK_CHECK(!in_class, "regex '" << p << "': \\H inside a character class is not supported");
          out += "[^" + std::string(kHexSet) + "]";
          break;
        case 'u':
          SEEK_CHECK(i + 5 < p.size() && is_hex(p[i + 2]) && is_hex(p[i + 3]) && is_hex(p[i + 4]) &&
                         is_hex(p[i + 5]),
                     "regex '" << p << "': \\u must be followed by four hex digits");
          out += "\\x{" + std::string(p.substr(i + 2, 4)) + "}";
          i += 6;
          continue;
        default:
          out += c;
          out += e;
          break;
      }
      i += 2;
      continue;
    }
    if (in_class) {
      if (c == '[') {
        SEEK_CHECK(i + 1 < p.size() && p[i + 1] == ':',
                   "regex '" << p << "': nested character classes are not supported");
        const size_t close = p.find(":]", i + 2);
        SEEK_CHECK(close != std::string_view::npos, "regex '" << p << "': unterminated POSIX class");
        out.append(p.substr(i, close + 2 - i));
        i = close + 2;
        continue;
      }
      SEEK_CHECK(!(c == '&' && i + 1 < p.size() && p[i + 1] == '&'),
                 "regex '" << p << "': class intersection (&&) is not supported");
      if (c == ']') in_class = false;
      out += c;
      ++i;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      ++i;
      if (i < p.size() && p[i] == '^') out += p[i++];
      if (i < p.size() && p[i] == ']') out += p[i++];  // a leading ']' is a literal
      continue;
    }
    if (p.compare(i, 4, "(?i:") == 0 && rewrite_caseless_group(p, &i, &out)) continue;
    out += c;
    ++i;
  }
  SEEK_CHECK(!in_class, "regex '" << p << "': unterminated character class");
  return out;
}

RegexScratch::RegexScratch() : match_data_(pcre2_match_data_create(1, nullptr)) {
  SEEK_ASSERT(match_data_ != nullptr);
}

RegexScratch::~RegexScratch() { pcre2_match_data_free(static_cast<pcre2_match_data*>(match_data_)); }

Regex::Regex(std::string_view pattern) : pattern_(pattern), code_(nullptr), jit_(false) {
  const std::string source = translate_pattern(pattern);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    SEEK_FAIL("regex '" << pattern << "' does not compile (as PCRE2 '" << source << "' at offset " << error_offset
                        << "): " << reinterpret_cast<const char*>(message));
  }
  code_ = code;
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

void Regex::find_all(std::string_view text, RegexScratch* scratch,
                     std::vector<std::pair<size_t, size_t>>* out) const {
  auto* code = static_cast<pcre2_code*>(code_);
  auto* md = static_cast<pcre2_match_data*>(scratch->match_data());
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  bool have_last = false;
  size_t last_end = 0;
  while (start <= text.size()) {
    int rc = 0;
    if (jit_) rc = pcre2_jit_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (!jit_ || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      // The interpreter keeps its backtracking frames on the heap: slower, but no stack limit.
      rc = pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md, nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof(message));
      SEEK_FAIL("regex '" << pattern_ << "' failed on a text of " << text.size()
                          << " bytes: " << reinterpret_cast<const char*>(message));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t begin = ov[0], end = ov[1];
    if (begin == end && have_last && last_end == end) {
      if (start >= text.size()) break;
      // Step over one whole UTF-8 character.
      ++start;
      while (start < text.size() && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) ++start;
      continue;
    }
    out->emplace_back(begin, end);
    have_last = true;
    last_end = end;
    start = end;
  }
}

}  // namespace seek
