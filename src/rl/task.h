// Reasoning tasks with exactly checkable answers: what a problem is, and the R1-format conversation
// built from it. These feed SFT (prompt + worked solution) now and GRPO rewards (reward.h) later.
//
// The answer format, for every task: the assistant message is
//     <think>\n{trace}\n</think>\n\n{one sentence ending in \boxed{ANSWER}}
// and checkers read the last \boxed{...} after </think> (answer.h). ANSWER is
//     add/sub/mul, lineq   an integer: "5218", "-6" (lineq also accepts "x = -6")
//     countdown            an expression over the source numbers: "(50 - 25) + 7 + 3"
//     sort                 the sorted list, comma separated: "-2, 3, 5, 9"
//
// A Problem is a pure function of (task, operands, target): make_problem() renders the prompt, the
// trace and the canonical answer, so a problem read back from JSONL (problem_json.h) is the same
// problem and is checked the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seek::rl {

enum class Task {
  kAdd,             // a + b
  kSub,             // a - b, may be negative
  kMul,             // a * b, long multiplication
  kCountdown,       // reach a target from source numbers with + - * / (countdown.h has the rules)
  kLinearEquation,  // a*x + b = c*x + d with an integer solution
  kSort,            // sort a list of integers ascending
};

inline constexpr Task kAllTasks[] = {
    Task::kAdd, Task::kSub, Task::kMul, Task::kCountdown, Task::kLinearEquation, Task::kSort};

// Difficulty levels shared by every task, so `--task mix --level N` means something for each.
inline constexpr int kMinLevel = 1;
inline constexpr int kMaxLevel = 5;

std::string_view task_name(Task task);  // "add", "sub", "mul", "countdown", "lineq", "sort"
std::optional<Task> task_from_name(std::string_view name);

struct Problem {
  Task task = Task::kAdd;
  int level = kMinLevel;          // difficulty it was drawn at; does not change the problem's identity
  std::vector<int64_t> operands;  // add/sub/mul: {a, b}; countdown: source numbers as shown;
                                  // lineq: {a, b, c, d} of a*x + b = c*x + d; sort: the list as shown
  int64_t target = 0;             // countdown: the number to make; 0 for every other task
  std::string prompt;             // the user message
  std::string trace;              // step-by-step reasoning: the body of <think>
  std::string answer;             // canonical final answer: the text inside \boxed{}
  std::string id;                 // "<task>-<16 hex digits>", a hash of the prompt
};

// Builds the problem from its defining numbers; throws seek::Error naming the task and the value at
// fault when they do not define a valid problem (e.g. lineq with a == c, a countdown target that
// the solver cannot reach).
Problem make_problem(Task task, int level, std::vector<int64_t> operands, int64_t target = 0);

// "<think>\n{trace}\n</think>\n\nThe answer is \boxed{ANSWER}." — the SFT target, and by
// construction a completion that earns full accuracy and format reward.
std::string assistant_content(const Problem& problem);

// The problem up to presentation (commutative operands and countdown numbers sorted): two problems
// with the same key are the same problem for split purposes (split.h).
std::string canonical_key(const Problem& problem);

}  // namespace seek::rl
