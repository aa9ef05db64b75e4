// The exact checker for every task: is this answer to this problem right?
//
// Pure functions of (problem, text): thread-safe, no state, cheap enough to call on every GRPO
// rollout. Tasks' own rules live beside their generators (arithmetic.h, countdown.h, ...); this
// file only dispatches and pulls the answer out of a completion.
#pragma once

#include <string_view>

#include "rl/task.h"
#include "rl/verdict.h"

namespace seek::rl {

// `problem` must come from make_problem() (or problem_from_json(), which calls it).
// `boxed` is the final answer alone, the text inside \boxed{} (e.g. "5218", "(8 / 3) * 3").
Verdict check_answer(const Problem& problem, std::string_view boxed);

// A whole assistant message: the last \boxed{} after the last </think> is checked (answer.h).
Verdict check_completion(const Problem& problem, std::string_view completion);

}  // namespace seek::rl
