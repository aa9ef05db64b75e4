// Rule-based rewards, as DeepSeek-R1 uses them (R1 §2.2.2; training.md 2.1): no reward model,
// only an accuracy reward from the exact checker and a format reward for the <think> structure.
// They are separate functions so a trainer can weight, log and ablate each on its own; R1 (Nature
// version) sums them with equal weights.
//
// A completion is the whole assistant message including the opening <think> (answer.h). Both
// rewards are pure and thread-safe.
#pragma once

#include <string_view>

#include "rl/task.h"

namespace seek::rl {

// 1 when check_completion() says correct, else 0. It reads the answer after </think> whatever the
// rest of the format, so the two rewards measure different things.
double accuracy_reward(const Problem& problem, std::string_view completion);

// 1 when the completion starts with <think>, has exactly one <think>...</think> block and exactly
// one closed \boxed{} after it (answer.h: format_violation), else 0.
double format_reward(std::string_view completion);

}  // namespace seek::rl
