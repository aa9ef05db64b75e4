// Accuracy of a model on reasoning problems: each problem's prompt goes through the tokenizer's
// chat template (with its generation prompt, as `seek chat` and the server send it), the model
// completes it, and the exact checker scores the answer after </think>.
//
//   greedy accuracy   temperature 0, one completion per problem
//   pass@1 over k     mean over problems of (correct samples / k) at the given temperature
//                     (R1 reports pass@1 this way, k = 64 at 0.6 / 0.95)
// The completion scored is the whole assistant message: when the generation prompt already opened
// "<think>\n" (R1's template), that text is put back in front of the generated tokens.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/model.h"
#include "rl/task.h"
#include "tokenizer/tokenizer.h"

namespace seek::rl {

struct EvalOptions {
  int samples = 0;            // k sampled completions per problem for pass@1 (0: greedy only)
  float temperature = 0.6f;   // of the samples
  float top_p = 0.95f;
  int64_t max_tokens = 512;   // per completion
  uint64_t seed = 0;
};

struct TaskScore {
  int64_t problems = 0;
  int64_t greedy_correct = 0;
  double sample_correct = 0;  // Σ over problems of correct samples / k
};

struct EvalResult {
  int64_t problems = 0;
  double greedy_accuracy = 0;  // fraction of problems the greedy completion gets right
  double greedy_format = 0;    // fraction of greedy completions in the R1 format
  double pass_at_1 = 0;        // with samples > 0
  std::map<std::string, TaskScore> by_task;
  std::vector<std::string> greedy_completions;  // in problem order
};

// `count` distinct problems of the held-out split (never in what `seek data` gives training) of one
// task, or of every task in turn for "mix"; errors name an unknown task.
std::vector<Problem> heldout_problems(const std::string& task, int level, int64_t count, uint64_t seed);

// on_problem(i, completion, correct) after each greedy completion (progress, examples); may be empty.
EvalResult evaluate(Model& model, const Tokenizer& tokenizer, const std::vector<Problem>& problems,
                    const EvalOptions& options,
                    const std::function<void(size_t, const std::string&, bool)>& on_problem = {});

}  // namespace seek::rl
