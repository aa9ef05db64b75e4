#include "tokenizer/pretokenizer.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace seek {

namespace {

struct Span {
  size_t begin, end;
  bool is_match;
};

}  // namespace

std::string escape_literal_pattern(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x80 && std::ispunct(static_cast<unsigned char>(c))) out += '\\';
    out += c;
  }
  return out;
}

PreTokenizer::PreTokenizer(const std::vector<PreTokenizerStep>& steps, const std::string& source) {
  for (const PreTokenizerStep& spec : steps) {
    Step step{spec, nullptr};
    try {
      if (spec.kind == PreTokenizerStep::Kind::kSplit) {
        SEEK_CHECK(!spec.pattern.empty(), "a Split pattern is empty");
        step.regex = std::make_unique<Regex>(spec.pattern_is_regex ? spec.pattern
                                                                   : escape_literal_pattern(spec.pattern));
      } else if (spec.use_regex) {
        step.regex = std::make_unique<Regex>(kByteLevelPattern);
      }
    } catch (const Error& e) {
      SEEK_FAIL(source << ": pre_tokenizer: " << e.what());
    }
    steps_.push_back(std::move(step));
  }
}

PreTokenizer::~PreTokenizer() = default;

void PreTokenizer::split(std::string_view text, PreTokenizeScratch* scratch,
                         std::vector<std::string_view>* pieces) const {
  scratch->storage.clear();
  pieces->clear();
  if (!text.empty()) pieces->push_back(text);
  for (const Step& step : steps_) {
    scratch->next.clear();
    for (const std::string_view piece : *pieces) split_piece(step, piece, scratch);
    pieces->swap(scratch->next);
  }
}

void PreTokenizer::split_piece(const Step& step, std::string_view piece, PreTokenizeScratch* scratch) const {
  auto& out = scratch->next;
  if (step.spec.kind == PreTokenizerStep::Kind::kByteLevel) {
    if (step.spec.add_prefix_space && piece[0] != ' ') {
      scratch->storage.push_back(" " + std::string(piece));
      piece = scratch->storage.back();
    }
    if (!step.regex) {
      out.push_back(piece);
      return;
    }
  }
  auto& matches = scratch->matches;
  matches.clear();
  step.regex->find_all(piece, &scratch->regex, &matches);

  const SplitBehavior behavior =
      step.spec.kind == PreTokenizerStep::Kind::kByteLevel ? SplitBehavior::kIsolated : step.spec.behavior;
  const bool invert = step.spec.kind == PreTokenizerStep::Kind::kSplit && step.spec.invert;

  if (behavior == SplitBehavior::kIsolated) {
    // The common case, without the intermediate span list: matches and gaps each become a piece.
    size_t prev = 0;
    for (const auto& [b, e] : matches) {
      if (prev < b) out.push_back(piece.substr(prev, b - prev));
      if (b < e) out.push_back(piece.substr(b, e - b));
      prev = e;
    }
    if (prev < piece.size()) out.push_back(piece.substr(prev));
    return;
  }

  // The whole piece as alternating non-match / match spans (HF Pattern::find_matches).
  std::vector<Span> spans;
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    if (prev != b) spans.push_back({prev, b, invert});
    spans.push_back({b, e, !invert});
    prev = e;
  }
  if (prev != piece.size()) spans.push_back({prev, piece.size(), invert});

  std::vector<Span> kept;  // is_match is unused from here on
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kIsolated:
      break;  // handled above
    case SplitBehavior::kRemoved:
      for (const Span& s : spans)
        if (!s.is_match) kept.push_back(s);
      break;
    case SplitBehavior::kContiguous:
      for (const Span& s : spans) {
        if (!kept.empty() && s.is_match == previous_match) {
          kept.back().end = s.end;
        } else {
          kept.push_back(s);
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithPrevious:
      for (const Span& s : spans) {
        if (s.is_match && !previous_match && !kept.empty()) {
          kept.back().end = s.end;
        } else {
          kept.push_back(s);
        }
        previous_match = s.is_match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      for (size_t i = spans.size(); i-- > 0;) {
        const Span& s = spans[i];
        if (s.is_match && !previous_match && !kept.empty()) {
          kept.back().begin = s.begin;
        } else {
          kept.push_back(s);
        }
        previous_match = s.is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
  }
  for (const Span& s : kept)
    if (s.begin < s.end) out.push_back(piece.substr(s.begin, s.end - s.begin));
}

}  // namespace seek
