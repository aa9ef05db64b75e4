// StopStrings: ends a stream of generated text at the first occurrence of any stop string, with
// OpenAI's `stop` semantics: the stop string and everything after it are never emitted, and text is
// released to the caller only once it is known not to be part of a stop string. Whatever could still
// be the start of one (a suffix of the text so far that is a prefix of some stop string) is held
// back until the next piece decides it, so a streaming client never sees a partial stop string.
//
// Text goes in as valid UTF-8 (StreamDecoder's pieces). Stop strings are valid UTF-8 too, so every
// cut falls on a character boundary and every released piece is valid UTF-8.
//
// Not thread-safe; one per generation. The views returned point into internal buffers and stay
// valid until the next push() or finish().
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace seek {

inline constexpr size_t kMaxStopStrings = 16;  // OpenAI allows 4; vLLM and llama.cpp more

class StopStrings {
 public:
  // Checks the list: at most kMaxStopStrings, each non-empty, valid UTF-8 (seek::Error otherwise).
  // An empty list passes all text through at once.
  explicit StopStrings(std::vector<std::string> stops);

  // Appends the next piece of text; returns the text now safe to emit (possibly empty). Once a stop
  // string is complete, returns the text before it and matched() is set; later pushes return nothing.
  std::string_view push(std::string_view text);
  // End of the stream without a match: returns the held-back text (nothing after a match).
  std::string_view finish();

  int matched() const { return matched_; }  // index of the stop string found, -1 while none
  size_t held_bytes() const { return held_.size(); }

 private:
  std::vector<std::string> stops_;
  size_t max_stop_bytes_ = 0;
  std::string held_;  // text not yet released: a possible start of a stop string
  std::string out_;   // what the last push()/finish() released
  int matched_ = -1;
};

}  // namespace seek
