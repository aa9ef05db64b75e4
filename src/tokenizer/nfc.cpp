#include "tokenizer/nfc.h"

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "tokenizer/nfc_tables.h"
#include "tokenizer/utf8.h"

namespace seek {

namespace {

// Hangul syllables compose and decompose algorithmically (Unicode §3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr int kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

struct Data {
  std::bitset<0x10000> maybe_bmp;                       // BMP code points flagged by the quick check
  std::unordered_map<uint64_t, char32_t> compose;       // (first << 32 | second) -> composite
  std::unordered_map<char32_t, const nfc_data::Decomposition*> decompose;
};

const Data& data() {
  static const std::unique_ptr<Data> d = [] {
    auto out = std::make_unique<Data>();
    for (size_t i = 0; i < nfc_data::kQuickCheckNoSize; ++i) {
      const nfc_data::CpRange& r = nfc_data::kQuickCheckNo[i];
      for (uint32_t cp = r.first; cp <= r.last && cp < 0x10000; ++cp) out->maybe_bmp.set(cp);
    }
    out->decompose.reserve(nfc_data::kDecompositionSize);
    for (size_t i = 0; i < nfc_data::kDecompositionSize; ++i) {
      const nfc_data::Decomposition& e = nfc_data::kDecomposition[i];
      out->decompose.emplace(e.cp, &e);
      if (e.composes) out->compose.emplace((uint64_t{e.first} << 32) | e.second, e.cp);
    }
    return out;
  }();
  return *d;
}

bool maybe_changes(char32_t cp) {
  if (cp < 0x300) return false;
  if (cp < 0x10000) return data().maybe_bmp.test(cp);
  const nfc_data::CpRange* begin = nfc_data::kQuickCheckNo;
  const nfc_data::CpRange* end = begin + nfc_data::kQuickCheckNoSize;
  const nfc_data::CpRange* it =
      std::upper_bound(begin, end, cp, [](char32_t c, const nfc_data::CpRange& r) { return c < r.first; });
  return it != begin && cp <= (it - 1)->last;
}

uint8_t combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  const nfc_data::CccRange* begin = nfc_data::kCombiningClass;
  const nfc_data::CccRange* end = begin + nfc_data::kCombiningClassSize;
  const nfc_data::CccRange* it =
      std::upper_bound(begin, end, cp, [](char32_t c, const nfc_data::CccRange& r) { return c < r.first; });
  if (it == begin || cp > (it - 1)->last) return 0;
  return (it - 1)->ccc;
}

void decompose_into(char32_t cp, std::vector<char32_t>* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const int s = static_cast<int>(cp - kSBase);
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  const auto& table = data().decompose;
  const auto it = table.find(cp);
  if (it == table.end()) {
    out->push_back(cp);
    return;
  }
  decompose_into(it->second->first, out);  // depth is at most a few levels
  if (it->second->second != 0) decompose_into(it->second->second, out);
}

// The primary composite of a + b, or 0 when there is none.
char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto& table = data().compose;
  const auto it = table.find((uint64_t{a} << 32) | b);
  return it == table.end() ? 0 : it->second;
}

}  // namespace

bool nfc_quick_check(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<uint8_t>(s[pos]) < 0xCC) {  // every code point below U+0300 is stable
      pos += static_cast<uint8_t>(s[pos]) < 0x80 ? 1 : 2;
      continue;
    }
    if (maybe_changes(utf8::decode(s, &pos))) return false;
  }
  return true;
}

std::string nfc_normalize(std::string_view s) {
  if (nfc_quick_check(s)) return std::string(s);

  std::vector<char32_t> buf;
  buf.reserve(s.size() + 8);
  for (size_t pos = 0; pos < s.size();) decompose_into(utf8::decode(s, &pos), &buf);

  // Canonical ordering: stable sort of each run of non-starters by combining class.
  std::vector<uint8_t> ccc(buf.size());
  for (size_t i = 0; i < buf.size(); ++i) ccc[i] = combining_class(buf[i]);
  for (size_t i = 1; i < buf.size(); ++i) {
    for (size_t j = i; j > 0 && ccc[j] != 0 && ccc[j - 1] > ccc[j]; --j) {
      std::swap(buf[j], buf[j - 1]);
      std::swap(ccc[j], ccc[j - 1]);
    }
  }

  // Canonical composition (the algorithm of UAX #15's sample code). A character composes with
  // the last starter unless a character of equal or higher class stands between them.
  if (!buf.empty()) {
    size_t starter = 0;
    int last_class = ccc[0] == 0 ? 0 : 256;
    size_t out = 1;
    for (size_t i = 1; i < buf.size(); ++i) {
      const char32_t c = buf[i];
      const int c_class = ccc[i];
      const char32_t composite = (last_class < c_class || last_class == 0) ? compose_pair(buf[starter], c) : 0;
      if (composite != 0 && ccc[starter] == 0) {
        buf[starter] = composite;
        continue;
      }
      if (c_class == 0) starter = out;
      last_class = c_class;
      ccc[out] = ccc[i];
      buf[out++] = c;
    }
    buf.resize(out);
  }

  std::string result;
  result.reserve(s.size());
  for (const char32_t c : buf) utf8::append(&result, c);
  return result;
}

}  // namespace seek
