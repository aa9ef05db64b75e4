// Helpers shared by the rl tests: drawing many problems per task and level.
#pragma once

#include <vector>

#include "rl/generator.h"

namespace seek::rl::testing {

inline std::vector<Problem> draw_many(Task task, int level, int count, uint64_t seed = 1,
                                      Split split = Split::kTrain) {
  ProblemGenerator generator({{task}, level, split, seed, false});
  std::vector<Problem> problems;
  for (int i = 0; i < count; ++i) problems.push_back(generator.next());
  return problems;
}

// The assistant message with its boxed answer replaced by `answer`.
inline std::string completion_with(const Problem& problem, const std::string& answer) {
  return "<think>\n" + problem.trace + "\n</think>\n\nThe answer is \\boxed{" + answer + "}.";
}

}  // namespace seek::rl::testing
