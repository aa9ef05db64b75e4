#include "rl/checker.h"

#include "rl/answer.h"
#include "rl/arithmetic.h"
#include "rl/countdown.h"
#include "rl/linear_equation.h"
#include "rl/sorting.h"

namespace seek::rl {

Verdict check_answer(const Problem& problem, std::string_view boxed) {
  switch (problem.task) {
    case Task::kAdd:
    case Task::kSub:
    case Task::kMul: return check_arithmetic(problem, boxed);
    case Task::kCountdown: return check_countdown(problem, boxed);
    case Task::kLinearEquation: return check_linear_equation(problem, boxed);
    case Task::kSort: return check_sort(problem, boxed);
  }
  return verdict(Outcome::kMalformed, "unknown task");
}

Verdict check_completion(const Problem& problem, std::string_view completion) {
  const BoxedAnswer boxed = extract_boxed_answer(completion);
  if (!boxed.content) return boxed.failure;
  return check_answer(problem, *boxed.content);
}

}  // namespace seek::rl
