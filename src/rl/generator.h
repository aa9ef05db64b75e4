// ProblemGenerator: an endless, seeded stream of problems from one split.
//
// Same config, same stream, on every platform (task_rng.h). Problems of the other split are drawn
// and thrown away (split.h), so a held-out stream costs about ten draws per problem; draws are
// microseconds. With `unique`, a problem (by canonical key) is never repeated; a small space,
// such as level-1 addition's held-out tenth, can run dry, and next() then throws naming the task,
// level and split instead of looping forever. Not thread-safe; use one generator per thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "rl/split.h"
#include "rl/task.h"
#include "rl/task_rng.h"

namespace seek::rl {

struct GeneratorConfig {
  std::vector<Task> tasks;  // each problem's task is drawn uniformly from these (all of them: "mix")
  int level = kMinLevel;    // kMinLevel..kMaxLevel, the same for every task
  Split split = Split::kTrain;
  uint64_t seed = 0;
  bool unique = false;  // never yield the same problem twice
};

class ProblemGenerator {
 public:
  explicit ProblemGenerator(GeneratorConfig config);  // throws seek::Error on an empty task list or bad level

  Problem next();

 private:
  Problem draw(Task task);

  GeneratorConfig config_;
  TaskRng rng_;
  std::unordered_set<std::string> seen_;  // canonical keys yielded so far; only with config_.unique
};

}  // namespace seek::rl
