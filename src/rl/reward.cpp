#include "rl/reward.h"

#include "rl/answer.h"
#include "rl/checker.h"

namespace seek::rl {

double accuracy_reward(const Problem& problem, std::string_view completion) {
  return check_completion(problem, completion).correct() ? 1.0 : 0.0;
}

double format_reward(std::string_view completion) { return format_violation(completion) ? 0.0 : 1.0; }

}  // namespace seek::rl
