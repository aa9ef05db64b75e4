#include "train/dataset.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "formats/jsonl.h"

namespace seek::train {

namespace {

// The text that closes an assistant turn in each template family.
std::string turn_end(const ChatStyle& style, const Tokenizer& tokenizer) {
  switch (style.family) {
    case ChatFamily::kDeepSeek: return tokenizer.eos_token();
    case ChatFamily::kChatMl:
    case ChatFamily::kQwen3: return "<|im_end|>";
    case ChatFamily::kLlama3: return "<|eot_id|>";
  }
  return tokenizer.eos_token();
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

Example encode_conversation(const nlohmann::json& j, const Tokenizer& tokenizer, const ChatTemplate* chat) {
  Example ex;
  const EncodeOptions special{.allow_special = true, .add_bos = false};
  if (j.contains("text")) {
    SEEK_CHECK(j["text"].is_string(), "\"text\" must be a string");
    if (tokenizer.bos_id()) ex.tokens.push_back(*tokenizer.bos_id());
    tokenizer.encode_into(j["text"].get<std::string>(), EncodeOptions{.allow_special = false, .add_bos = false}, &ex.tokens);
    SEEK_CHECK(tokenizer.eos_id().has_value(), tokenizer.source() << ": the tokenizer has no EOS token to end texts");
    ex.tokens.push_back(*tokenizer.eos_id());
    ex.scored.assign(ex.tokens.size(), 1);
    if (tokenizer.bos_id()) ex.scored[0] = 0;
    return ex;
  }
  SEEK_CHECK(j.contains("messages") && j["messages"].is_array() && !j["messages"].empty(),
             "a line needs \"messages\" (a conversation) or \"text\"");
  std::vector<ChatMessage> messages;
  for (const nlohmann::json& m : j["messages"]) {
    SEEK_CHECK(m.is_object() && m.contains("role") && m["role"].is_string(), "every message needs a \"role\"");
    ChatMessage msg;
    msg.role = m["role"].get<std::string>();
    if (m.contains("content") && m["content"].is_string()) msg.content = m["content"].get<std::string>();
    messages.push_back(std::move(msg));
  }
  SEEK_CHECK(messages.back().role == "assistant" && messages.back().content,
             "the last message must be the assistant's, with content (it is what the model learns)");
  SEEK_CHECK(chat != nullptr, tokenizer.source() << ": the tokenizer has no chat template for conversations");
  const std::string prompt =
      chat->render(std::span<const ChatMessage>(messages.data(), messages.size() - 1), ChatOptions{.add_generation_prompt = true, .tools_json = {}, .enable_thinking = std::nullopt});
  std::string completion = *messages.back().content;
  // The generation prompt may already open the completion (R1: "<think>\n"); do not repeat it.
  for (size_t n = std::min(prompt.size(), completion.size()); n > 0; --n)
    if (prompt.compare(prompt.size() - n, n, completion, 0, n) == 0) {
      completion.erase(0, n);
      break;
    }
  completion += turn_end(chat->style(), tokenizer);
  tokenizer.encode_into(prompt, special, &ex.tokens);
  const size_t prompt_len = ex.tokens.size();
  tokenizer.encode_into(completion, special, &ex.tokens);
  ex.scored.assign(ex.tokens.size(), 0);
  for (size_t i = prompt_len; i < ex.tokens.size(); ++i) ex.scored[i] = 1;
  return ex;
}

std::vector<Example> load_examples(const std::vector<std::string>& paths, const Tokenizer& tokenizer) {
  std::vector<Example> out;
  std::optional<ChatTemplate> chat;
  if (!tokenizer.chat_template().empty()) chat = ChatTemplate::for_tokenizer(tokenizer);
  for (const std::string& path : paths)
    for_each_jsonl_record(path, [&](const nlohmann::json& record) {
      out.push_back(encode_conversation(record, tokenizer, chat ? &*chat : nullptr));
    });
  SEEK_CHECK(!out.empty(), "no training examples in the data files");
  return out;
}

Packer::Packer(const std::vector<Example>& examples, uint64_t seed) : examples_(examples), seed_(seed) {
  for (const Example& e : examples_) total_tokens_ += static_cast<int64_t>(e.tokens.size());
  SEEK_CHECK(total_tokens_ > 0, "the training data has no tokens");
  start_epoch();
}

void Packer::start_epoch() {
  ++epoch_;
  order_.resize(examples_.size());
  for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<int32_t>(i);
  uint64_t state = seed_ * 0x2545F4914F6CDD1Dull + static_cast<uint64_t>(epoch_);
  for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[splitmix64(state) % i]);
  example_ = 0;
  pos_ = 0;
}

int32_t Packer::take() {
  while (pos_ >= examples_[static_cast<size_t>(order_[example_])].tokens.size()) {
    pos_ = 0;
    if (++example_ == order_.size()) start_epoch();
  }
  const Example& e = examples_[static_cast<size_t>(order_[example_])];
  last_scored_ = e.scored[pos_] != 0;
  return e.tokens[pos_++];
}

TrainBatch Packer::next(int64_t batch, int64_t seq) {
  TrainBatch b{batch, seq, {}, {}};
  b.tokens.reserve(static_cast<size_t>(batch * seq));
  b.targets.reserve(static_cast<size_t>(batch * seq));
  if (!have_pending_) {
    pending_ = take();
    pending_scored_ = last_scored_;
    have_pending_ = true;
  }
  // Each sequence reads seq + 1 stream tokens: row i is token i, its target token i + 1. The last
  // target becomes the first token of the next sequence, so no token is skipped.
  for (int64_t s = 0; s < batch; ++s)
    for (int64_t i = 0; i < seq; ++i) {
      b.tokens.push_back(pending_);
      pending_ = take();
      pending_scored_ = last_scored_;
      b.targets.push_back(pending_scored_ ? pending_ : -1);
    }
  return b;
}

}  // namespace seek::train
