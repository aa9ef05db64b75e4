// Training data: JSONL files turned into token streams, shuffled and packed into fixed-length
// sequences.
//
// A line is either
//   {"messages": [{"role": "user", "content": ...}, ..., {"role": "assistant", "content": ...}]}
//     (what `seek data` writes): SFT. The prompt is every message but the last, rendered by the
//     tokenizer's chat template with its generation prompt, exactly what `seek chat`/the server
//     feed the model; the completion is the last (assistant) message followed by the turn's end
//     token. Only completion tokens are scored. When the generation prompt already opens the
//     completion (R1's "<｜Assistant｜><think>\n" vs. content starting "<think>\n"), that overlap is
//     not repeated.
//   {"text": "..."}: pretraining; BOS (if the tokenizer has one) + text + EOS, every token scored.
//
// Packing: examples are concatenated into one stream and cut into sequences of `seq` tokens; a row
// is scored when the token it predicts is scored, so nothing is predicted across two examples.
// Order: a seeded Fisher-Yates shuffle per epoch (the same seed gives the same batches on any
// machine, which is what makes --resume exact).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"
#include "train/train_model.h"

namespace seek::train {

struct Example {
  std::vector<int32_t> tokens;
  std::vector<uint8_t> scored;  // scored[i]: token i is a training target
};

// Reads every line of every file; errors name the file and line.
std::vector<Example> load_examples(const std::vector<std::string>& paths, const Tokenizer& tokenizer);
// One chat conversation (last message: the assistant's) or one text, as described above. `chat` is
// the tokenizer's template (null when it has none: then only texts are accepted).
Example encode_conversation(const nlohmann::json& record, const Tokenizer& tokenizer, const ChatTemplate* chat);

class Packer {
 public:
  Packer(const std::vector<Example>& examples, uint64_t seed);
  // The next `batch` sequences of `seq` tokens (wrapping into a new, reshuffled epoch as needed).
  TrainBatch next(int64_t batch, int64_t seq);
  int64_t epoch() const { return epoch_; }
  int64_t total_tokens() const { return total_tokens_; }

 private:
  void start_epoch();
  int32_t take();  // next token of the stream (its scored flag in last_scored_)

  const std::vector<Example>& examples_;
  uint64_t seed_;
  std::vector<int32_t> order_;
  int64_t epoch_ = -1;
  size_t example_ = 0, pos_ = 0;
  bool last_scored_ = false;
  int64_t total_tokens_ = 0;
  bool have_pending_ = false;   // the token that ended the previous sequence starts the next
  int32_t pending_ = 0;
  bool pending_scored_ = false;
};

}  // namespace seek::train
