// Problems as JSONL records: the `seek data` output, read back by SFT, evaluation and GRPO.
//
// One object per line, keys in this order:
//   {"id", "task", "level", "prompt", "answer", "operands": [...], "target": N (countdown only),
//    "messages": [{"role": "user", "content": prompt},
//                 {"role": "assistant", "content": "<think>\n...\n</think>\n\n...\boxed{answer}."}]}
// "operands" and "target" are what make_problem() needs, so a reader rebuilds the exact problem
// (and its checker) without re-parsing the prompt.
#pragma once

#include <nlohmann/json.hpp>

#include "rl/task.h"

namespace seek::rl {

nlohmann::ordered_json problem_to_json(const Problem& problem);

// Rebuilds through make_problem(); throws seek::Error naming the field at fault. The record's
// prompt must match the rebuilt one, so a record from a different generator version is caught
// rather than checked against the wrong rules.
Problem problem_from_json(const nlohmann::json& record);

}  // namespace seek::rl
