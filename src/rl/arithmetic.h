// Multi-digit addition, subtraction and multiplication, worked the way it is taught on paper.
//
// Traces are written column by column from the ones digit (add: digit sums and carries; sub: digit
// differences and borrows; mul: one partial product per digit of the second number, shifted, then a
// running sum), one step per line in a fixed shape, so a small model sees every carry locally and a
// test can re-check each line. The answer is the plain integer.
//
// Levels: level 1..4 draw numbers of 2..5 digits; level 5 draws 6, 7 or 8. The first operand has
// the level's digit count, the second the same or one fewer, then the two are swapped half the time
// (so subtraction is negative about half the time).
#pragma once

#include <string_view>

#include "rl/task.h"
#include "rl/task_rng.h"
#include "rl/verdict.h"

namespace seek::rl {

// task is kAdd, kSub or kMul.
Problem draw_arithmetic(Task task, int level, TaskRng* rng);
// Fills prompt, trace and answer from problem->operands = {a, b}; both in [0, 10^9).
void render_arithmetic(Problem* problem);
// `boxed` is the content of the answer's \boxed{}.
Verdict check_arithmetic(const Problem& problem, std::string_view boxed);

}  // namespace seek::rl
