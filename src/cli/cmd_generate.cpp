// seek generate --model PATH --prompt TEXT [--chat] [-n N] [--temp T] [--top-p P] [--top-k K] [--seed S]
// One completion, streamed to stdout as it is produced. --mtp drafts with the model's MTP module
// (speculative decoding; same output) and --stats reports speeds and the acceptance rate. --chat wraps the prompt as one user turn of
// the model's chat template (with its generation prompt, e.g. R1's "<｜Assistant｜><think>\n").
#include <cstdio>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/error.h"
#include "engine/generator.h"
#include "tokenizer/chat_template.h"

namespace seek::cli {

int cmd_generate(Args& args) {
  ModelOptions options = parse_model_options(args);
  const std::optional<std::string> prompt = args.get("--prompt");
  const std::optional<std::string> tokenizer_override = args.get("--tokenizer");
  const bool chat = args.flag("--chat");
  const bool stats = args.flag("--stats");
  const bool speculative = args.flag("--mtp");
  const int64_t max_new = args.get_int("-n", 128);
  const SamplingParams sampling = parse_sampling_options(args);
  args.finish();
  SEEK_CHECK(prompt.has_value(), "--prompt TEXT is required");
  SEEK_CHECK(max_new >= 0, "-n must be >= 0");

  const Tokenizer tokenizer = load_tokenizer(options.path, tokenizer_override);
  std::vector<int32_t> ids;
  if (chat) {
    const ChatTemplate tmpl = ChatTemplate::for_tokenizer(tokenizer);
    const ChatMessage user{"user", *prompt, {}, std::nullopt};
    ids = tokenizer.encode(tmpl.render(std::span<const ChatMessage>(&user, 1)),
                           EncodeOptions{.allow_special = true, .add_bos = false});
  } else {
    ids = tokenizer.encode(*prompt, EncodeOptions{.allow_special = false, .add_bos = tokenizer.add_bos()});
  }
  SEEK_CHECK(!ids.empty(), "the prompt encodes to no tokens");
  options.settings.max_context =
      std::min<int64_t>(options.settings.max_context, static_cast<int64_t>(ids.size()) + max_new + 1);
  std::unique_ptr<Model> model = load_model(options);
  Generator generator(*model, tokenizer);
  generator.set_speculative(speculative);
  const GenerateStats s = generator.generate(ids, sampling, max_new, [](int32_t, std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::fputc('\n', stdout);
  if (stats) {
    std::fprintf(stderr, "prompt %lld tokens in %.3f s, generated %lld tokens in %.3f s (%.2f tok/s), finish: %s\n",
                 static_cast<long long>(s.prompt_tokens), s.prefill_seconds, static_cast<long long>(s.generated_tokens),
                 s.decode_seconds, s.decode_seconds > 0 ? static_cast<double>(s.generated_tokens) / s.decode_seconds : 0.0,
                 finish_reason_name(s.finish));
    if (speculative)
      std::fprintf(stderr, "mtp: %lld drafted, %lld accepted (%.1f%%)\n", static_cast<long long>(s.drafted_tokens),
                   static_cast<long long>(s.accepted_tokens),
                   s.drafted_tokens ? 100.0 * static_cast<double>(s.accepted_tokens) / static_cast<double>(s.drafted_tokens) : 0.0);
  }
  return 0;
}

}  // namespace seek::cli
