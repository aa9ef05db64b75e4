#include "rl/countdown.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "core/error.h"
#include "rl/expression.h"

namespace seek::rl {

namespace {

struct CountdownLevel {
  int n_numbers;       // how many source numbers
  int64_t max_number;  // numbers are drawn from 1..max_number
  int64_t max_target;  // targets lie in 1..max_target
};

// Index level - 1. Four numbers are a much larger search than three, so the number count rises
// first and the number range widens after it.
constexpr CountdownLevel kLevels[kMaxLevel] = {
    {3, 20, 100}, {3, 100, 100}, {4, 25, 100}, {4, 100, 100}, {4, 100, 999}};

constexpr int kTreesPerDraw = 20;  // random trees tried before the numbers are redrawn

// Drawn problems whose search trace is longer than this are replaced: SFT sequences stay within a
// tiny model's context. It drops about 15-20% of four-number problems (those the closest-first
// search solves late), a bias the header states.
constexpr int64_t kMaxDrawnTraceLines = 24;

// Searches are run with at most this many steps tried per state, widening until one succeeds: the
// trace is the successful narrow search, which keeps it short (a full search over four numbers
// can take hundreds of lines). The last limit is unbounded, so the search stays complete.
constexpr size_t kBranchLimits[] = {1, 2, 3, 5, 8, SIZE_MAX};

std::string str(int64_t n) { return std::to_string(n); }

std::string join(const std::vector<int64_t>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + str(values[i]);
  return out;
}

// A value the search holds, with the expression that made it. prec is the binding strength of
// its outermost operator (3 for a bare number), which decides where parentheses are needed.
struct Item {
  int64_t value;
  std::string expr;
  int prec;
};

int precedence(char op) { return op == '+' || op == '-' ? 1 : 2; }

std::string combine_expr(const Item& a, char op, const Item& b) {
  const int p = precedence(op);
  // The right side also needs parentheses at equal precedence under - and /: a - (b + c).
  const bool paren_right = b.prec < p || (b.prec == p && (op == '-' || op == '/'));
  const std::string left = a.prec < p ? "(" + a.expr + ")" : a.expr;
  const std::string right = paren_right ? "(" + b.expr + ")" : b.expr;
  return left + " " + op + " " + right;
}

struct Candidate {
  size_t i, j;  // the combined items; items[i].value >= items[j].value
  char op;
  int64_t value;
};

// Every step with a positive integer result. Multiplying or dividing by 1 is skipped: it leaves
// the value unchanged, and under at-most-once the 1 may simply go unused.
std::vector<Candidate> candidates(const std::vector<Item>& items, int64_t target) {
  std::vector<Candidate> out;
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t j = i + 1; j < items.size(); ++j) {
      size_t hi = i, lo = j;
      if (items[j].value > items[i].value) std::swap(hi, lo);
      const int64_t x = items[hi].value, y = items[lo].value;
      out.push_back({hi, lo, '+', x + y});
      if (x > y) out.push_back({hi, lo, '-', x - y});
      if (y > 1) out.push_back({hi, lo, '*', x * y});
      if (y > 1 && x % y == 0) out.push_back({hi, lo, '/', x / y});
    }
  }
  const auto distance = [target](const Candidate& c) {
    return c.value > target ? c.value - target : target - c.value;
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const Candidate& a, const Candidate& b) { return distance(a) < distance(b); });
  return out;
}

class Solver {
 public:
  Solver(int64_t target, size_t max_branches) : target_(target), max_branches_(max_branches) {}

  // Depth-first; appends the steps it takes to trace_. Returns the solving expression, if any.
  std::optional<std::string> search(const std::vector<Item>& items, int depth) {
    const std::string indent(2 * depth, ' ');
    const std::vector<Candidate> steps = candidates(items, target_);
    if (items.size() == 2) {
      // The last pair is finished in one line: everything it can make, stopping at the target.
      trace_ += indent + "From " + str(items[0].value) + " and " + str(items[1].value) + ":";
      for (size_t k = 0; k < steps.size(); ++k) {
        const Candidate& c = steps[k];
        trace_ += (k ? ", " : " ") + step_text(items, c);
        if (c.value == target_) {
          trace_ += ". Reached " + str(target_) + ".\n";
          return combine_expr(items[c.i], c.op, items[c.j]);
        }
      }
      trace_ += "; none is " + str(target_) + ".\n";
      return std::nullopt;
    }
    for (size_t k = 0; k < steps.size() && k < max_branches_; ++k) {
      const Candidate& c = steps[k];
      trace_ += indent + "Try " + step_text(items, c);
      const Item made{c.value, combine_expr(items[c.i], c.op, items[c.j]), precedence(c.op)};
      if (c.value == target_) {
        trace_ += ". Reached " + str(target_) + ".\n";
        return made.expr;
      }
      std::vector<Item> next;
      std::vector<int64_t> left;
      for (size_t k = 0; k < items.size(); ++k) {
        if (k == c.i || k == c.j) continue;
        next.push_back(items[k]);
        left.push_back(items[k].value);
      }
      next.push_back(made);
      left.push_back(made.value);
      trace_ += ", left " + join(left) + ".\n";
      if (std::optional<std::string> found = search(next, depth + 1)) return found;
    }
    return std::nullopt;
  }

  std::string take_trace() { return std::move(trace_); }

 private:
  static std::string step_text(const std::vector<Item>& items, const Candidate& c) {
    return str(items[c.i].value) + " " + c.op + " " + str(items[c.j].value) + " = " + str(c.value);
  }

  int64_t target_;
  size_t max_branches_;  // steps tried from one state before backing up
  std::string trace_;
};

// A random expression tree over all the numbers, with positive integer intermediates; its value.
int64_t random_tree_value(std::vector<int64_t> pool, TaskRng* rng) {
  constexpr int64_t kMaxIntermediate = 1'000'000;  // keeps products from running away
  while (pool.size() > 1) {
    const size_t i = static_cast<size_t>(rng->uniform(0, static_cast<int64_t>(pool.size()) - 1));
    size_t j = static_cast<size_t>(rng->uniform(0, static_cast<int64_t>(pool.size()) - 2));
    if (j >= i) ++j;
    const int64_t x = std::max(pool[i], pool[j]), y = std::min(pool[i], pool[j]);
    std::vector<int64_t> results = {x + y};
    if (x > y) results.push_back(x - y);
    if (x * y <= kMaxIntermediate) results.push_back(x * y);
    if (x % y == 0) results.push_back(x / y);
    const int64_t r = results[static_cast<size_t>(rng->uniform(0, static_cast<int64_t>(results.size()) - 1))];
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(std::max(i, j)));
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(std::min(i, j)));
    pool.push_back(r);
  }
  return pool[0];
}

}  // namespace

std::optional<CountdownSolution> solve_countdown(const std::vector<int64_t>& numbers, int64_t target) {
  std::vector<Item> items;
  for (int64_t n : numbers) {
    if (n == target) return CountdownSolution{str(n), "The number " + str(n) + " is already the target."};
    items.push_back({n, str(n), 3});
  }
  if (items.size() < 2) return std::nullopt;
  for (size_t max_branches : kBranchLimits) {
    Solver solver(target, max_branches);
    if (std::optional<std::string> expression = solver.search(items, 0)) {
      return CountdownSolution{*expression, solver.take_trace()};
    }
  }
  return std::nullopt;
}

Problem draw_countdown(int level, TaskRng* rng) {
  const CountdownLevel& spec = kLevels[level - 1];
  while (true) {
    std::vector<int64_t> numbers;
    for (int k = 0; k < spec.n_numbers; ++k) numbers.push_back(rng->uniform(1, spec.max_number));
    for (int tree = 0; tree < kTreesPerDraw; ++tree) {
      const int64_t target = random_tree_value(numbers, rng);
      if (target < 1 || target > spec.max_target) continue;
      if (std::find(numbers.begin(), numbers.end(), target) != numbers.end()) continue;
      Problem problem = make_problem(Task::kCountdown, level, numbers, target);
      if (std::count(problem.trace.begin(), problem.trace.end(), '\n') > kMaxDrawnTraceLines) break;
      return problem;
    }
  }
}

void render_countdown(Problem* problem) {
  const std::vector<int64_t>& numbers = problem->operands;
  SEEK_CHECK(numbers.size() >= 2 && numbers.size() <= kCountdownMaxNumbers,
             "countdown: needs 2.." << kCountdownMaxNumbers << " numbers, got " << numbers.size());
  for (int64_t n : numbers) {
    SEEK_CHECK(n >= 1 && n <= kCountdownMaxNumber,
               "countdown: number " << n << " is outside 1.." << kCountdownMaxNumber);
  }
  const int64_t target = problem->target;
  SEEK_CHECK(target >= 1 && target <= kCountdownMaxNumber,
             "countdown: target " << target << " is outside 1.." << kCountdownMaxNumber);
  std::optional<CountdownSolution> solution = solve_countdown(numbers, target);
  SEEK_CHECK(solution.has_value(),
             "countdown: target " << target << " cannot be made from " << join(numbers));
  problem->prompt = "Using the numbers " + join(numbers) + ", make " + str(target) +
                    ". You may use + - * / and parentheses, and each number at most once.";
  problem->trace = "Numbers " + join(numbers) + ", target " + str(target) + ".\n" + solution->trace + "So " +
                   solution->expression + " = " + str(target) + ".";
  problem->answer = solution->expression;
}

Verdict check_countdown(const Problem& problem, std::string_view boxed) {
  const ExpressionResult result = evaluate_expression(boxed);
  if (result.error == ExpressionError::kSyntax) return verdict(Outcome::kMalformed, result.message);
  // Multiset containment: each literal consumes one copy of a source number.
  std::map<int64_t, int> available;
  for (int64_t n : problem.operands) ++available[n];
  for (int64_t n : result.numbers) {
    if (available[n]-- > 0) continue;
    const bool given = std::count(problem.operands.begin(), problem.operands.end(), n) > 0;
    return verdict(Outcome::kInvalid, given
                                          ? str(n) + " is used more times than it is given"
                                          : str(n) + " is not one of the numbers " + join(problem.operands));
  }
  if (result.error != ExpressionError::kNone) return verdict(Outcome::kInvalid, result.message);
  if (result.value != Rational(problem.target)) {
    return verdict(Outcome::kWrong, result.value.to_string() + " is not " + str(problem.target));
  }
  return verdict(Outcome::kCorrect);
}

}  // namespace seek::rl
