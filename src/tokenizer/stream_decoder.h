// StreamDecoder: turns ids into text one token at a time (for streaming generation) without ever
// emitting half a UTF-8 character. A token may end inside a multi-byte character (byte-level BPE
// splits characters freely); those bytes are held until the character completes. Bytes that can
// no longer form a character are emitted as U+FFFD at once, one per maximal ill-formed subpart, so
// the concatenated output always equals utf8::make_valid(tokenizer.decode(all ids)).
//
// Not thread-safe: one decoder per sequence. Borrows the tokenizer, which must outlive it.
#pragma once

#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace seek {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);

  // Feeds one id; returns the text that became complete (valid UTF-8, possibly empty).
  // Throws seek::Error on an unknown id.
  std::string push(int32_t id);

  // Ends the stream: held bytes of an unfinished character come out as U+FFFD.
  std::string flush();

  // Bytes held back waiting for the rest of a character (at most 3).
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace seek
