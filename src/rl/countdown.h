// Countdown: make a target from a few source numbers with + - * / and parentheses.
//
// Rules (the ones the prompt states and the checker enforces):
//   - each source number may be used at most once, as in the TV game (TinyZero demands exactly
//     once; at-most-once is what the game and our prompt say, and it still rejects any reuse);
//     a number appearing twice in the source list may be used twice;
//   - '/' is exact: intermediate fractions are allowed, only the final value must equal the
//     target, and it is compared in exact rationals, never floats ((8 / 3) * 3 == 8);
//   - no unary minus, no concatenating digits, no other operators (expression.h has the grammar).
//
// Generation (reachable by construction, as TinyZero does): draw the numbers, combine all of them
// in a random expression tree whose intermediate values are positive integers (a - b only when
// a > b, a / b only when b divides a), and take its value as the target. Targets equal to a
// source number (solvable by writing it down) or outside the level's range are redrawn, and so are
// problems whose search trace (below) runs past 24 lines: that keeps SFT sequences short, at the
// cost of leaning four-number levels towards problems the closest-first search solves early.
//
// Trace: a depth-first search that a person could follow. Each "Try a op b = r" line combines two
// of the numbers left; the last two numbers are finished in one line that lists what they can
// make. Candidates closest to the target come first, which usually finds a solution in a few lines;
// the search tries at most 1, 2, 3, 5, 8, then any number of steps per state, keeping the first
// limit that succeeds, so a trace shows a narrow search rather than hundreds of dead ends.
// The same search (positive-integer intermediates) gives the canonical answer, so a problem is a
// pure function of (numbers, target).
//
// Levels: 1: three numbers 1..20; 2: three numbers 1..100; 3: four numbers 1..25;
// 4: four numbers 1..100; targets 1..100 up to level 4, 1..999 at level 5 (four numbers 1..100).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rl/task.h"
#include "rl/task_rng.h"
#include "rl/verdict.h"

namespace seek::rl {

inline constexpr int64_t kCountdownMaxNumber = 1000;  // bounds on numbers and targets a problem may have
inline constexpr size_t kCountdownMaxNumbers = 6;

struct CountdownSolution {
  std::string expression;  // e.g. "(50 - 25) + 7 + 3", minimal parentheses
  std::string trace;       // the search, one step per line
};

// Searches over positive-integer intermediates; nullopt when the target is unreachable that way.
std::optional<CountdownSolution> solve_countdown(const std::vector<int64_t>& numbers, int64_t target);

Problem draw_countdown(int level, TaskRng* rng);
// Fills prompt, trace and answer from operands (the numbers) and target; throws if unsolvable.
void render_countdown(Problem* problem);
Verdict check_countdown(const Problem& problem, std::string_view boxed);

}  // namespace seek::rl
