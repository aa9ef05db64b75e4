#include "engine/stop_strings.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace seek {

StopStrings::StopStrings(std::vector<std::string> stops) : stops_(std::move(stops)) {
  SEEK_CHECK(stops_.size() <= kMaxStopStrings,
             "at most " << kMaxStopStrings << " stop strings are allowed (got " << stops_.size() << ")");
  for (size_t i = 0; i < stops_.size(); ++i) {
    SEEK_CHECK(!stops_[i].empty(), "stop string " << i << " is empty");
    SEEK_CHECK(utf8::is_valid(stops_[i]), "stop string " << i << " is not valid UTF-8");
    max_stop_bytes_ = std::max(max_stop_bytes_, stops_[i].size());
  }
  // A token's text is rarely longer than a few dozen bytes; these only grow for unusual ones.
  held_.reserve(max_stop_bytes_ + 256);
  out_.reserve(max_stop_bytes_ + 256);
}

std::string_view StopStrings::push(std::string_view text) {
  out_.clear();
  if (matched_ >= 0) return {};
  held_.append(text);
  if (stops_.empty()) {
    out_.swap(held_);
    return out_;
  }
  // The earliest complete stop string. Released text cannot hold the start of one: a position is
  // released only when the text from it to the end was no prefix of any stop string.
  size_t first = std::string::npos;
  for (size_t k = 0; k < stops_.size(); ++k) {
    const size_t at = held_.find(stops_[k]);
    if (at < first) {
      first = at;
      matched_ = static_cast<int>(k);
    }
  }
  if (matched_ >= 0) {
    out_.assign(held_, 0, first);
    held_.clear();
    return out_;
  }
  // Hold back the longest suffix that some stop string starts with (necessarily shorter than it).
  size_t keep_from = held_.size();
  const size_t longest = max_stop_bytes_ - 1;
  for (size_t i = held_.size() > longest ? held_.size() - longest : 0; i < held_.size(); ++i) {
    const std::string_view tail = std::string_view(held_).substr(i);
    const bool starts_stop = std::any_of(stops_.begin(), stops_.end(),
                                         [&](const std::string& s) { return s.starts_with(tail); });
    if (starts_stop) {
      keep_from = i;
      break;
    }
  }
  out_.assign(held_, 0, keep_from);
  held_.erase(0, keep_from);
  return out_;
}

std::string_view StopStrings::finish() {
  out_.clear();
  out_.swap(held_);
  return out_;
}

}  // namespace seek
