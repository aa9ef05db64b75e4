#include "rl/sorting.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "rl/answer.h"

namespace seek::rl {

namespace {

struct SortLevel {
  int length;
  int64_t min_value, max_value;
};

constexpr SortLevel kLevels[kMaxLevel] = {
    {4, 0, 20}, {5, -50, 50}, {7, -100, 100}, {9, -1000, 1000}, {12, -10000, 10000}};

std::string join(const std::vector<int64_t>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out;
}

}  // namespace

Problem draw_sort(int level, TaskRng* rng) {
  const SortLevel& spec = kLevels[level - 1];
  std::vector<int64_t> values;
  for (int i = 0; i < spec.length; ++i) values.push_back(rng->uniform(spec.min_value, spec.max_value));
  return make_problem(Task::kSort, level, values);
}

void render_sort(Problem* problem) {
  const std::vector<int64_t>& values = problem->operands;
  SEEK_CHECK(!values.empty() && values.size() <= kSortMaxLength,
             "sort: needs 1.." << kSortMaxLength << " numbers, got " << values.size());
  for (int64_t n : values) {
    SEEK_CHECK(n >= -kSortMaxValue && n <= kSortMaxValue,
               "sort: value " << n << " is outside +-" << kSortMaxValue);
  }
  problem->prompt = "Sort these numbers in ascending order: " + join(values) + ".";
  std::string& t = problem->trace;
  t = "Take the smallest remaining number each time.\n";
  std::vector<int64_t> remaining = values, sorted;
  while (!remaining.empty()) {
    const auto smallest = std::min_element(remaining.begin(), remaining.end());
    t += "Remaining " + join(remaining) + ": smallest is " + std::to_string(*smallest) + ".\n";
    sorted.push_back(*smallest);
    remaining.erase(smallest);
  }
  t += "Sorted: " + join(sorted) + ".";
  problem->answer = join(sorted);
}

Verdict check_sort(const Problem& problem, std::string_view boxed) {
  const std::optional<std::vector<int64_t>> values = parse_integer_list(boxed);
  if (!values)
    return verdict(Outcome::kMalformed,
                   "'" + std::string(boxed) + "' is not a comma-separated list of integers");
  std::vector<int64_t> expected = problem.operands;
  std::sort(expected.begin(), expected.end());
  if (*values != expected)
    return verdict(Outcome::kWrong, "'" + join(*values) + "' is not '" + join(expected) + "'");
  return verdict(Outcome::kCorrect);
}

}  // namespace seek::rl
