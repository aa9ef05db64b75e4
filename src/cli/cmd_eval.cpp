// seek eval --model DIR (--data HELDOUT.jsonl | --task add|...|mix [--level L] [--count N])
//           [--samples K [--temp 0.6] [--top-p 0.95]] [--max-tokens 512] [--seed S] [-t N] [--json]
//           [--show N]
// Accuracy on reasoning problems with exact checkers (src/rl/evaluate.h): greedy accuracy and format
// rate, and pass@1 over K samples. Without --data, problems are drawn from the held-out split, so
// they never overlap what `seek data` gives training.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/error.h"
#include "formats/jsonl.h"
#include "rl/evaluate.h"
#include "rl/problem_json.h"

namespace seek::cli {

namespace {

std::vector<rl::Problem> read_problems(const std::string& path) {
  std::vector<rl::Problem> out;
  for_each_jsonl_record(path, [&](const nlohmann::json& record) { out.push_back(rl::problem_from_json(record)); });
  return out;
}

}  // namespace

int cmd_eval(Args& args) {
  ModelOptions options = parse_model_options(args);
  const std::optional<std::string> data = args.get("--data");
  const std::optional<std::string> task = args.get("--task");
  const int level = static_cast<int>(args.get_int("--level", 1));
  const int64_t count = args.get_int("--count", 100);
  rl::EvalOptions eo;
  eo.samples = static_cast<int>(args.get_int("--samples", 0));
  eo.temperature = static_cast<float>(args.get_double("--temp", eo.temperature));
  eo.top_p = static_cast<float>(args.get_double("--top-p", eo.top_p));
  eo.max_tokens = args.get_int("--max-tokens", eo.max_tokens);
  eo.seed = static_cast<uint64_t>(args.get_int("--seed", 0));
  const bool json = args.flag("--json");
  const int64_t show = args.get_int("--show", 0);
  const std::optional<std::string> tokenizer_path = args.get("--tokenizer");
  args.finish();
  SEEK_CHECK(data.has_value() != task.has_value(), "give --data FILE.jsonl or --task NAME (held-out problems)");

  std::vector<rl::Problem> problems;
  if (data) {
    problems = read_problems(*data);
  } else {
    problems = rl::heldout_problems(*task, level, count, eo.seed);
  }
  SEEK_CHECK(!problems.empty(), "no problems to evaluate");
  options.settings.max_context = std::max<int64_t>(options.settings.max_context, 1024);
  std::unique_ptr<Model> model = load_model(options);
  const Tokenizer tokenizer = load_tokenizer(options.path, tokenizer_path);
  const rl::EvalResult r = rl::evaluate(*model, tokenizer, problems, eo, [&](size_t i, const std::string& completion, bool ok) {
    if (static_cast<int64_t>(i) < show)
      std::fprintf(stderr, "--- %s [%s]\n%s\n%s\n", problems[i].id.c_str(), ok ? "correct" : "wrong",
                   problems[i].prompt.c_str(), completion.c_str());
  });
  if (json) {
    nlohmann::json j = {{"problems", r.problems}, {"greedy_accuracy", r.greedy_accuracy}, {"format", r.greedy_format}};
    if (eo.samples > 0) j["pass_at_1"] = r.pass_at_1, j["samples"] = eo.samples, j["temperature"] = eo.temperature;
    for (const auto& [name, s] : r.by_task)
      j["tasks"][name] = {{"problems", s.problems}, {"greedy_accuracy", static_cast<double>(s.greedy_correct) / s.problems}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%lld problems: greedy accuracy %.1f%%, format %.1f%%", static_cast<long long>(r.problems),
              100 * r.greedy_accuracy, 100 * r.greedy_format);
  if (eo.samples > 0) std::printf(", pass@1 %.1f%% (%d samples, temperature %.2f)", 100 * r.pass_at_1, eo.samples, eo.temperature);
  std::printf("\n");
  for (const auto& [name, s] : r.by_task)
    std::printf("  %-10s %4lld problems  greedy %.1f%%\n", name.c_str(), static_cast<long long>(s.problems),
                100.0 * static_cast<double>(s.greedy_correct) / static_cast<double>(s.problems));
  return 0;
}

}  // namespace seek::cli
