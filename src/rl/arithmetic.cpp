#include "rl/arithmetic.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "rl/answer.h"

namespace seek::rl {

namespace {

constexpr int64_t kMaxOperand = 999'999'999;  // products stay below 10^18, inside int64

int digits_for_level(int level, TaskRng* rng) {
  return level < kMaxLevel ? level + 1 : static_cast<int>(rng->uniform(6, 8));
}

int64_t draw_with_digits(int n_digits, TaskRng* rng) {
  int64_t lo = 1;
  for (int i = 1; i < n_digits; ++i) lo *= 10;
  return rng->uniform(n_digits == 1 ? 0 : lo, lo * 10 - 1);
}

// Least significant digit first; zero has one digit.
std::vector<int> digits_of(int64_t n) {
  std::vector<int> out;
  do {
    out.push_back(static_cast<int>(n % 10));
    n /= 10;
  } while (n > 0);
  return out;
}

std::string str(int64_t n) { return std::to_string(n); }

char op_symbol(Task task) { return task == Task::kAdd ? '+' : task == Task::kSub ? '-' : '*'; }

void add_trace(int64_t a, int64_t b, std::string* trace) {
  *trace += "Add " + str(a) + " + " + str(b) + " column by column, from the right.\n";
  const std::vector<int> da = digits_of(a), db = digits_of(b);
  const size_t n = std::max(da.size(), db.size());
  int carry = 0;
  std::string written;  // least significant first
  for (size_t i = 0; i < n; ++i) {
    const int x = i < da.size() ? da[i] : 0, y = i < db.size() ? db[i] : 0;
    const int sum = x + y + carry;
    *trace += "col " + str(i + 1) + ": " + str(x) + " + " + str(y) + " + " + str(carry) + " = " + str(sum) +
              ", write " + str(sum % 10) + ", carry " + str(sum / 10) + "\n";
    written.push_back(static_cast<char>('0' + sum % 10));
    carry = sum / 10;
  }
  if (carry) {
    *trace += "final carry: write 1\n";
    written.push_back('1');
  }
  std::reverse(written.begin(), written.end());
  *trace += "So " + str(a) + " + " + str(b) + " = " + written + ".";
}

// big >= small >= 0; writes the digit-by-digit difference big - small.
void subtract_columns(int64_t big, int64_t small, std::string* trace) {
  const std::vector<int> db = digits_of(big), ds = digits_of(small);
  int borrow = 0;
  std::string written;
  for (size_t i = 0; i < db.size(); ++i) {
    const int x = db[i], y = i < ds.size() ? ds[i] : 0;
    const int diff = x - y - borrow;
    *trace += "col " + str(i + 1) + ": " + str(x) + " - " + str(y) + " - " + str(borrow) + " = " + str(diff);
    if (diff < 0) {
      *trace += ", add 10: write " + str(diff + 10) + ", borrow 1\n";
    } else {
      *trace += ", write " + str(diff) + ", borrow 0\n";
    }
    written.push_back(static_cast<char>('0' + (diff + 10) % 10));
    borrow = diff < 0 ? 1 : 0;
  }
  std::reverse(written.begin(), written.end());
  const std::string value = str(big - small);
  *trace += "Digits from the left: " + written;
  if (written != value) *trace += ", which is " + value;
  *trace += "\n";
}

void sub_trace(int64_t a, int64_t b, std::string* trace) {
  if (a >= b) {
    *trace += str(a) + " >= " + str(b) + ", so subtract column by column, from the right.\n";
    subtract_columns(a, b, trace);
  } else {
    *trace += str(a) + " < " + str(b) + ", so compute " + str(b) + " - " + str(a) + " and negate it.\n";
    subtract_columns(b, a, trace);
  }
  *trace += "So " + str(a) + " - " + str(b) + " = " + str(a - b) + ".";
}

void mul_trace(int64_t a, int64_t b, std::string* trace) {
  *trace += "Multiply " + str(a) + " by each digit of " + str(b) + ", from the right.\n";
  const std::vector<int> db = digits_of(b);
  std::vector<int64_t> partials;
  int64_t shift = 1;
  for (size_t i = 0; i < db.size(); ++i, shift *= 10) {
    const int64_t product = a * db[i];
    *trace += str(a) + " * " + str(db[i]) + " = " + str(product);
    if (i > 0) *trace += ", shifted " + str(i) + (i == 1 ? " place: " : " places: ") + str(product * shift);
    *trace += "\n";
    partials.push_back(product * shift);
  }
  if (partials.size() > 1) {
    *trace += "Add the partial products:\n";
    int64_t sum = partials[0];
    for (size_t i = 1; i < partials.size(); ++i) {
      *trace += str(sum) + " + " + str(partials[i]) + " = " + str(sum + partials[i]) + "\n";
      sum += partials[i];
    }
  }
  *trace += "So " + str(a) + " * " + str(b) + " = " + str(a * b) + ".";
}

int64_t result_of(Task task, int64_t a, int64_t b) {
  return task == Task::kAdd ? a + b : task == Task::kSub ? a - b : a * b;
}

}  // namespace

Problem draw_arithmetic(Task task, int level, TaskRng* rng) {
  const int n_digits = digits_for_level(level, rng);
  int64_t a = draw_with_digits(n_digits, rng);
  int64_t b = draw_with_digits(rng->coin() || n_digits == 1 ? n_digits : n_digits - 1, rng);
  if (rng->coin()) std::swap(a, b);
  return make_problem(task, level, {a, b});
}

void render_arithmetic(Problem* problem) {
  const Task task = problem->task;
  SEEK_ASSERT(task == Task::kAdd || task == Task::kSub || task == Task::kMul);
  const std::vector<int64_t>& ops = problem->operands;
  SEEK_CHECK(ops.size() == 2, task_name(task) << ": needs 2 operands, got " << ops.size());
  for (int64_t x : ops) {
    SEEK_CHECK(x >= 0 && x <= kMaxOperand, task_name(task)
                                               << ": operand " << x << " is outside 0.." << kMaxOperand);
  }
  const int64_t a = ops[0], b = ops[1];
  problem->prompt = "What is " + str(a) + " " + op_symbol(task) + " " + str(b) + "?";
  problem->trace.clear();
  switch (task) {
    case Task::kAdd: add_trace(a, b, &problem->trace); break;
    case Task::kSub: sub_trace(a, b, &problem->trace); break;
    case Task::kMul: mul_trace(a, b, &problem->trace); break;
    case Task::kCountdown:
    case Task::kLinearEquation:
    case Task::kSort: SEEK_ASSERT(false);
  }
  problem->answer = str(result_of(task, a, b));
}

Verdict check_arithmetic(const Problem& problem, std::string_view boxed) {
  SEEK_ASSERT(problem.operands.size() == 2);  // problems come from make_problem()
  const std::optional<int64_t> value = parse_integer(boxed);
  if (!value) return verdict(Outcome::kMalformed, "'" + std::string(boxed) + "' is not an integer");
  const int64_t expected = result_of(problem.task, problem.operands[0], problem.operands[1]);
  if (*value != expected) return verdict(Outcome::kWrong, str(*value) + " is not " + str(expected));
  return verdict(Outcome::kCorrect);
}

}  // namespace seek::rl
