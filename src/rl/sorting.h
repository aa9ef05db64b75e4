// Sorting a list of integers ascending.
//
// The trace is selection sort as a person does it: name the smallest of what remains, remove it,
// repeat. The answer is the sorted list, comma separated ("-2, 3, 5, 9"); the checker also takes
// it wrapped in [ ]. Duplicates are kept, so the answer must be a permutation of the input.
//
// Levels: lengths 4, 5, 7, 9, 12; values in 0..20, -50..50, -100..100, -1000..1000, -10000..10000.
#pragma once

#include <string_view>

#include "rl/task.h"
#include "rl/task_rng.h"
#include "rl/verdict.h"

namespace seek::rl {

inline constexpr size_t kSortMaxLength = 64;         // bounds on a list a problem may have
inline constexpr int64_t kSortMaxValue = 1'000'000;  // |value|

Problem draw_sort(int level, TaskRng* rng);
void render_sort(Problem* problem);
Verdict check_sort(const Problem& problem, std::string_view boxed);

}  // namespace seek::rl
