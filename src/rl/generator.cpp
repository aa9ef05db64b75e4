#include "rl/generator.h"

#include "core/error.h"
#include "rl/arithmetic.h"
#include "rl/countdown.h"
#include "rl/linear_equation.h"
#include "rl/sorting.h"

namespace seek::rl {

namespace {

// Draws without a usable problem before giving up. The held-out split takes ~10 draws per
// problem; 100k misses in a row means the space is exhausted, not unlucky.
constexpr int kMaxDrawsPerProblem = 100'000;

}  // namespace

ProblemGenerator::ProblemGenerator(GeneratorConfig config) : config_(std::move(config)), rng_(config_.seed) {
  SEEK_CHECK(!config_.tasks.empty(), "problem generator: no tasks given");
  SEEK_CHECK(config_.level >= kMinLevel && config_.level <= kMaxLevel, "problem generator: level "
                                                                           << config_.level << " is outside "
                                                                           << kMinLevel << ".." << kMaxLevel);
}

Problem ProblemGenerator::draw(Task task) {
  switch (task) {
    case Task::kAdd:
    case Task::kSub:
    case Task::kMul: return draw_arithmetic(task, config_.level, &rng_);
    case Task::kCountdown: return draw_countdown(config_.level, &rng_);
    case Task::kLinearEquation: return draw_linear_equation(config_.level, &rng_);
    case Task::kSort: return draw_sort(config_.level, &rng_);
  }
  SEEK_ASSERT(false);
  return {};
}

Problem ProblemGenerator::next() {
  const int64_t n_tasks = static_cast<int64_t>(config_.tasks.size());
  const Task task = config_.tasks[static_cast<size_t>(rng_.uniform(0, n_tasks - 1))];
  for (int attempt = 0; attempt < kMaxDrawsPerProblem; ++attempt) {
    Problem problem = draw(task);
    if (split_of(problem) != config_.split) continue;
    if (config_.unique && !seen_.insert(canonical_key(problem)).second) continue;
    return problem;
  }
  SEEK_FAIL("ran out of distinct " << task_name(task) << " problems at level " << config_.level << " in the "
                                   << split_name(config_.split) << " split after yielding " << seen_.size()
                                   << " problems (ask for fewer, or a higher level)");
}

}  // namespace seek::rl
