#include "rl/evaluate.h"

#include "core/error.h"
#include "engine/generator.h"
#include "rl/generator.h"
#include "rl/reward.h"
#include "tokenizer/chat_template.h"

namespace seek::rl {

namespace {

// The prompt's token ids and the part of the assistant message the prompt already holds.
struct Prompt {
  std::vector<int32_t> ids;
  std::string opened;  // e.g. "<think>\n"
};

Prompt make_prompt(const ChatTemplate& chat, const Tokenizer& tokenizer, const std::string& question) {
  const ChatMessage user{.role = "user", .content = question, .tool_calls = {}, .reasoning_content = std::nullopt};
  const std::string text = chat.render(std::span<const ChatMessage>(&user, 1), ChatOptions{});
  Prompt p;
  p.ids = tokenizer.encode(text, EncodeOptions{.allow_special = true, .add_bos = false});
  if (text.ends_with("<think>\n")) p.opened = "<think>\n";
  return p;
}

std::string complete(Generator& gen, const Prompt& prompt, const SamplingParams& sampling, int64_t max_tokens) {
  std::string out = prompt.opened;
  gen.generate(prompt.ids, sampling, max_tokens, [&](int32_t, std::string_view piece) {
    out += piece;
    return true;
  });
  return out;
}

}  // namespace

std::vector<Problem> heldout_problems(const std::string& task, int level, int64_t count, uint64_t seed) {
  GeneratorConfig gc;
  if (task == "mix") {
    gc.tasks.assign(std::begin(kAllTasks), std::end(kAllTasks));
  } else {
    const std::optional<Task> t = task_from_name(task);
    SEEK_CHECK(t.has_value(), "unknown task '" << task << "' (add, sub, mul, countdown, lineq, sort or mix)");
    gc.tasks = {*t};
  }
  gc.level = level;
  gc.split = Split::kHeldout;
  gc.seed = seed;
  gc.unique = true;
  ProblemGenerator gen(gc);
  std::vector<Problem> problems;
  for (int64_t i = 0; i < count; ++i) problems.push_back(gen.next());
  return problems;
}

EvalResult evaluate(Model& model, const Tokenizer& tokenizer, const std::vector<Problem>& problems,
                    const EvalOptions& options, const std::function<void(size_t, const std::string&, bool)>& on_problem) {
  SEEK_CHECK(!problems.empty(), "eval: no problems");
  SEEK_CHECK(options.samples >= 0 && options.max_tokens >= 1, "eval: samples >= 0 and max tokens >= 1");
  const ChatTemplate chat = ChatTemplate::for_tokenizer(tokenizer);
  Generator gen(model, tokenizer);
  EvalResult r;
  r.problems = static_cast<int64_t>(problems.size());
  double format = 0, pass = 0;
  for (size_t i = 0; i < problems.size(); ++i) {
    const Problem& p = problems[i];
    const Prompt prompt = make_prompt(chat, tokenizer, p.prompt);
    TaskScore& score = r.by_task[std::string(task_name(p.task))];
    ++score.problems;
    gen.reset();
    const std::string greedy = complete(gen, prompt, SamplingParams{}, options.max_tokens);
    const bool correct = accuracy_reward(p, greedy) > 0;
    score.greedy_correct += correct;
    format += format_reward(greedy);
    r.greedy_completions.push_back(greedy);
    if (on_problem) on_problem(i, greedy, correct);
    if (options.samples > 0) {
      int right = 0;
      for (int s = 0; s < options.samples; ++s) {
        SamplingParams sp;
        sp.temperature = options.temperature;
        sp.top_p = options.top_p;
        sp.seed = options.seed + i * 1000003u + static_cast<uint64_t>(s);
        right += accuracy_reward(p, complete(gen, prompt, sp, options.max_tokens)) > 0;
      }
      score.sample_correct += static_cast<double>(right) / options.samples;
      pass += static_cast<double>(right) / options.samples;
    }
  }
  int64_t correct = 0;
  for (const auto& [name, s] : r.by_task) correct += s.greedy_correct;
  r.greedy_accuracy = static_cast<double>(correct) / static_cast<double>(r.problems);
  r.greedy_format = format / static_cast<double>(r.problems);
  r.pass_at_1 = options.samples > 0 ? pass / static_cast<double>(r.problems) : 0.0;
  return r;
}

}  // namespace seek::rl
