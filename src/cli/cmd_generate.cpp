// seek generate: one completion, streamed to stdout as it is produced. Usage in kUsage below
// (`seek generate --help`).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/error.h"
#include "engine/generator.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/utf8.h"

namespace seek::cli {

namespace {

constexpr const char* kUsage =
    "usage: seek generate --model PATH --prompt TEXT [options]\n"
    "  --chat              wrap the prompt as one user turn of the model's chat template\n"
    "  -n N                generate at most N tokens (default 128)\n"
    "  --temp T --top-p P --top-k K --min-p P --repeat-penalty R --seed S   sampling (default greedy)\n"
    "  --stop STR          end the text before the first STR (repeatable, up to 16; the stop string is\n"
    "                      not printed; use $'\\n' in bash for a newline)\n"
    "  --logprobs N        log-probabilities of each generated token and of the N (0..20) most likely\n"
    "                      tokens, from log_softmax of the logits after penalties, before temperature\n"
    "                      and truncation (OpenAI's logprobs/top_logprobs). Printed after the text, one\n"
    "                      line per token: logprob, token, then the alternatives\n"
    "  --json              JSON lines instead of plain text: one object per token\n"
    "                      {\"id\", \"token\", \"text\", [\"logprob\", \"top_logprobs\": [{\"id\", \"token\", \"logprob\"}]]}\n"
    "                      (\"text\": the text released at that step, never part of a stop string),\n"
    "                      {\"id\": -1, \"text\"} for text still held at the end, then\n"
    "                      {\"finish_reason\", \"text\", \"prompt_tokens\", \"generated_tokens\"}\n"
    "  --mtp               speculative decoding with the model's MTP module (same output, fewer passes)\n"
    "  --stats             speeds, finish reason and MTP acceptance on stderr\n"
    "  --tokenizer PATH    tokenizer.json to use instead of the model's\n";

// One token's own text for display: its bytes, with a split UTF-8 character shown as U+FFFD.
std::string token_text(const Tokenizer& tokenizer, int32_t id) { return utf8::make_valid(tokenizer.token_bytes(id)); }

// What a generated token left behind for printing after the stream (plain mode with --logprobs).
struct LoggedToken {
  int32_t id;
  TokenLogprobs logprobs;
};

nlohmann::json token_json(const Tokenizer& tokenizer, const GeneratedToken& t) {
  nlohmann::json j = {{"id", t.id}, {"token", token_text(tokenizer, t.id)}, {"text", std::string(t.text)}};
  if (t.logprobs != nullptr) {
    j["logprob"] = t.logprobs->chosen.logprob;
    nlohmann::json top = nlohmann::json::array();
    for (int i = 0; i < t.logprobs->num_top; ++i) {
      const TokenLogprob& alt = t.logprobs->top[static_cast<size_t>(i)];
      top.push_back({{"id", alt.id}, {"token", token_text(tokenizer, alt.id)}, {"logprob", alt.logprob}});
    }
    j["top_logprobs"] = top;
  }
  return j;
}

void print_logprob_table(const Tokenizer& tokenizer, const std::vector<LoggedToken>& tokens) {
  std::printf("\n%9s  %-16s %s\n", "logprob", "token", "top alternatives (logprob token)");
  for (const LoggedToken& t : tokens) {
    std::printf("%9.4f  %-16s", t.logprobs.chosen.logprob, nlohmann::json(token_text(tokenizer, t.id)).dump().c_str());
    for (int i = 0; i < t.logprobs.num_top; ++i) {
      const TokenLogprob& alt = t.logprobs.top[static_cast<size_t>(i)];
      std::printf(" %.4f %s", alt.logprob, nlohmann::json(token_text(tokenizer, alt.id)).dump().c_str());
    }
    std::printf("\n");
  }
}

}  // namespace

int cmd_generate(Args& args) {
  if (args.flag("--help")) {
    std::printf("%s", kUsage);
    return 0;
  }
  ModelOptions options = parse_model_options(args);
  const std::optional<std::string> prompt = args.get("--prompt");
  const std::optional<std::string> tokenizer_override = args.get("--tokenizer");
  const bool chat = args.flag("--chat");
  const bool stats = args.flag("--stats");
  const bool speculative = args.flag("--mtp");
  const bool json = args.flag("--json");
  GenerateOptions request;
  request.max_tokens = args.get_int("-n", 128);
  request.sampling = parse_sampling_options(args);
  request.stop = args.get_all("--stop");
  const int64_t top_logprobs = args.get_int("--logprobs", -1);
  args.finish();
  SEEK_CHECK(prompt.has_value(), "--prompt TEXT is required (see seek generate --help)");
  SEEK_CHECK(request.max_tokens >= 0, "-n must be >= 0");
  SEEK_CHECK(top_logprobs >= -1 && top_logprobs <= kMaxTopLogprobs,
             "--logprobs must be in [0, " << kMaxTopLogprobs << "] (got " << top_logprobs << ")");
  request.logprobs = top_logprobs >= 0;
  request.top_logprobs = static_cast<int>(std::max<int64_t>(top_logprobs, 0));
  StopStrings check_stops(request.stop);  // a bad --stop fails before the model loads

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
      std::min<int64_t>(options.settings.max_context, static_cast<int64_t>(ids.size()) + request.max_tokens + 1);
  std::unique_ptr<Model> model = load_model(options);
  Generator generator(*model, tokenizer);
  generator.set_speculative(speculative);

  std::string text;                 // everything released, for the --json summary
  std::vector<LoggedToken> logged;  // plain mode with --logprobs: printed after the text
  if (request.logprobs && !json) logged.reserve(static_cast<size_t>(request.max_tokens));
  const GenerateStats s = generator.generate(ids, request, [&](const GeneratedToken& t) {
    if (json) {
      text += t.text;
      const nlohmann::json line = t.id >= 0 ? token_json(tokenizer, t) : nlohmann::json{{"id", -1}, {"text", t.text}};
      std::printf("%s\n", line.dump().c_str());
    } else {
      std::fwrite(t.text.data(), 1, t.text.size(), stdout);
      if (t.logprobs != nullptr) logged.push_back({t.id, *t.logprobs});
    }
    std::fflush(stdout);
    return true;
  });
  if (json) {
    const nlohmann::json summary = {{"finish_reason", finish_reason_name(s.finish)},
                                    {"text", text},
                                    {"prompt_tokens", s.prompt_tokens},
                                    {"generated_tokens", s.generated_tokens}};
    std::printf("%s\n", summary.dump().c_str());
  } else {
    std::fputc('\n', stdout);
    if (request.logprobs) print_logprob_table(tokenizer, logged);
  }
  std::fflush(stdout);  // before the stats on stderr, so that a shared pipe keeps the order
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
