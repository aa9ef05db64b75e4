// Linear equations in one variable: a*x + b = c*x + d with a != c and an integer solution.
//
// The trace is the textbook algebra: collect x on the left, constants on the right, divide, then
// substitute back to check both sides agree. The answer is the integer x; the checker also takes
// "x = -6" for "-6", since that is how people write a solution.
//
// Levels scale the sizes: |a|, |c| <= 5, 9, 12, 20, 50; |x| <= 10, 20, 50, 100, 500;
// |b| <= 10, 30, 100, 500, 1000 (d follows from the others). c may be 0 (no x on the right).
#pragma once

#include <string_view>

#include "rl/task.h"
#include "rl/task_rng.h"
#include "rl/verdict.h"

namespace seek::rl {

inline constexpr int64_t kLinearMaxCoefficient = 1'000'000;  // bound on |a|, |b|, |c|, |d| a problem may have

Problem draw_linear_equation(int level, TaskRng* rng);
// Fills prompt, trace and answer from operands {a, b, c, d}; throws unless a != c, a != 0 and
// (d - b) is divisible by (a - c).
void render_linear_equation(Problem* problem);
Verdict check_linear_equation(const Problem& problem, std::string_view boxed);

}  // namespace seek::rl
