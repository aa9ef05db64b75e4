#include "rl/task.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "rl/arithmetic.h"
#include "rl/countdown.h"
#include "rl/linear_equation.h"
#include "rl/sorting.h"
#include "rl/split.h"

namespace seek::rl {

namespace {

// DeepSeek's recommended directive for R1 math prompts (DeepSeek-R1 README, "Usage
// Recommendations"), so prompts look like the ones R1 models were tuned on.
constexpr std::string_view kAnswerDirective =
    "Please reason step by step, and put your final answer within \\boxed{}.";

std::string join(const std::vector<int64_t>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out;
}

}  // namespace

std::string_view task_name(Task task) {
  switch (task) {
    case Task::kAdd: return "add";
    case Task::kSub: return "sub";
    case Task::kMul: return "mul";
    case Task::kCountdown: return "countdown";
    case Task::kLinearEquation: return "lineq";
    case Task::kSort: return "sort";
  }
  return "?";
}

std::optional<Task> task_from_name(std::string_view name) {
  for (Task task : kAllTasks) {
    if (task_name(task) == name) return task;
  }
  return std::nullopt;
}

Problem make_problem(Task task, int level, std::vector<int64_t> operands, int64_t target) {
  SEEK_CHECK(level >= kMinLevel && level <= kMaxLevel,
             task_name(task) << ": level " << level << " is outside " << kMinLevel << ".." << kMaxLevel);
  SEEK_CHECK(task == Task::kCountdown || target == 0, task_name(task) << ": only countdown has a target");
  Problem problem;
  problem.task = task;
  problem.level = level;
  problem.operands = std::move(operands);
  problem.target = target;
  switch (task) {
    case Task::kAdd:
    case Task::kSub:
    case Task::kMul: render_arithmetic(&problem); break;
    case Task::kCountdown: render_countdown(&problem); break;
    case Task::kLinearEquation: render_linear_equation(&problem); break;
    case Task::kSort: render_sort(&problem); break;
  }
  problem.prompt += "\n";
  problem.prompt += kAnswerDirective;
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(stable_hash(problem.prompt)));
  problem.id = std::string(task_name(task)) + "-" + hex;
  return problem;
}

std::string assistant_content(const Problem& problem) {
  return "<think>\n" + problem.trace + "\n</think>\n\nThe answer is \\boxed{" + problem.answer + "}.";
}

std::string canonical_key(const Problem& problem) {
  std::vector<int64_t> operands = problem.operands;
  switch (problem.task) {
    case Task::kAdd:
    case Task::kMul:
    case Task::kCountdown: std::sort(operands.begin(), operands.end()); break;
    case Task::kSub:
    case Task::kLinearEquation:
    case Task::kSort: break;
  }
  std::string key = std::string(task_name(problem.task)) + ":" + join(operands);
  if (problem.task == Task::kCountdown) key += "->" + std::to_string(problem.target);
  return key;
}

}  // namespace seek::rl
