#include "tokenizer/stream_decoder.h"

#include "tokenizer/utf8.h"

namespace seek {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(&tokenizer), skip_special_(skip_special) {}

std::string StreamDecoder::push(int32_t id) {
  const std::string& bytes = tokenizer_->token_bytes(id);  // validates the id even when skipped
  if (skip_special_ && tokenizer_->is_special(id)) return {};
  pending_ += bytes;
  const size_t ready = utf8::complete_prefix_length(pending_);
  if (ready == 0) return {};
  // The cut falls on a lead byte, which never continues an ill-formed subpart before it, so
  // repairing the prefix alone gives the same text as repairing the whole stream.
  std::string out = utf8::make_valid(std::string_view(pending_).substr(0, ready));
  pending_.erase(0, ready);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = utf8::make_valid(pending_);
  pending_.clear();
  return out;
}

}  // namespace seek
