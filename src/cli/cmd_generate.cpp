// seek generate --model PATH --prompt TEXT [--chat] [-n N] [--temp T] [--top-p P] [--top-k K] [--seed S]
// One completion, streamed to stdout as it is produced. --chat wraps the prompt as one user turn of
// the model's chat template (with its generation prompt, e.g. R1's "<｜Assistant｜><think>\n").
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/error.h"
#include "engine/sampler.h"
#include "formats/gguf.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_gguf.h"

namespace seek::cli {

namespace {

// The tokenizer of a model: --tokenizer when given; else its directory's tokenizer.json; for a
// .gguf file the tokenizer embedded in it, else a tokenizer.json beside it.
Tokenizer load_tokenizer(const std::string& model_path, const std::optional<std::string>& override_path) {
  if (override_path) return Tokenizer::load(*override_path);
  namespace fs = std::filesystem;
  const fs::path p(model_path);
  if (fs::is_directory(p)) return Tokenizer::load(model_path);
  if (is_gguf_file(model_path)) {
    const GgufFile file = GgufFile::open(model_path);
    if (gguf_has_tokenizer(file.metadata())) return Tokenizer(tokenizer_spec_from_gguf(file.metadata()));
  }
  const fs::path beside = p.parent_path() / "tokenizer.json";
  SEEK_CHECK(fs::exists(beside),
             model_path << ": no tokenizer found (the file has no tokenizer.ggml.* metadata; put "
                           "tokenizer.json beside it or pass --tokenizer PATH)");
  return Tokenizer::load(p.parent_path().empty() ? "." : p.parent_path().string());
}

}  // namespace

int cmd_generate(Args& args) {
  ModelOptions options = parse_model_options(args);
  const std::optional<std::string> prompt = args.get("--prompt");
  const std::optional<std::string> tokenizer_override = args.get("--tokenizer");
  const bool chat = args.flag("--chat");
  const int64_t max_new = args.get_int("-n", 128);
  SamplingParams sampling;
  sampling.temperature = static_cast<float>(args.get_double("--temp", 0.0));
  sampling.top_p = static_cast<float>(args.get_double("--top-p", 1.0));
  sampling.top_k = static_cast<int>(args.get_int("--top-k", 0));
  sampling.min_p = static_cast<float>(args.get_double("--min-p", 0.0));
  sampling.seed = static_cast<uint64_t>(args.get_int("--seed", 0));
  args.finish();
  SEEK_CHECK(prompt.has_value(), "--prompt TEXT is required");
  SEEK_CHECK(max_new >= 0, "-n must be >= 0");

  const Tokenizer tokenizer = load_tokenizer(options.path, tokenizer_override);
  std::vector<int32_t> ids;
  if (chat) {
    const ChatTemplate tmpl = ChatTemplate::for_tokenizer(tokenizer);
    const ChatMessage user{"user", *prompt, {}, std::nullopt};
    const std::string text = tmpl.render(std::span<const ChatMessage>(&user, 1));
    ids = tokenizer.encode(text, EncodeOptions{.allow_special = true, .add_bos = false});
  } else {
    ids = tokenizer.encode(*prompt, EncodeOptions{.allow_special = false, .add_bos = tokenizer.add_bos()});
  }
  SEEK_CHECK(!ids.empty(), "the prompt encodes to no tokens");
  options.settings.max_context = std::min<int64_t>(options.settings.max_context,
                                                   static_cast<int64_t>(ids.size()) + max_new);
  options.settings.max_context = std::max<int64_t>(options.settings.max_context, static_cast<int64_t>(ids.size()) + 1);
  std::unique_ptr<Model> model = load_model(options);
  const ModelConfig& config = model->config();
  SEEK_CHECK(tokenizer.vocab_size() <= config.vocab_size,
             "the tokenizer has " << tokenizer.vocab_size() << " tokens but the model only " << config.vocab_size);

  std::vector<int32_t> stop_ids(config.eos_token_ids.begin(), config.eos_token_ids.end());
  if (tokenizer.eos_id()) stop_ids.push_back(*tokenizer.eos_id());
  KvCache cache = model->new_cache();
  std::vector<float> logits(static_cast<size_t>(config.vocab_size));
  const int64_t chunk = model->settings().max_batch_tokens;
  for (size_t i = 0; i < ids.size(); i += static_cast<size_t>(chunk)) {
    const int64_t len = std::min<int64_t>(chunk, static_cast<int64_t>(ids.size() - i));
    model->forward(ids.data() + i, len, cache, logits.data(), /*all_logits=*/false);
  }
  // Embedding tables are often padded past the tokenizer's last id (V3: 129,280 rows for 128,815
  // tokens); those rows were never trained, so sampling stays within the tokenizer's ids.
  Sampler sampler(tokenizer.vocab_size(), sampling);
  StreamDecoder decoder(tokenizer, /*skip_special=*/false);
  std::vector<int32_t> generated;
  for (int64_t step = 0; step < max_new; ++step) {
    const int32_t next = sampler.sample(logits.data(), generated);
    if (std::find(stop_ids.begin(), stop_ids.end(), next) != stop_ids.end()) break;
    generated.push_back(next);
    const std::string piece = decoder.push(next);
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    if (cache.length() >= cache.capacity()) break;
    model->forward(&next, 1, cache, logits.data(), false);
  }
  const std::string rest = decoder.flush();
  std::fwrite(rest.data(), 1, rest.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

}  // namespace seek::cli
