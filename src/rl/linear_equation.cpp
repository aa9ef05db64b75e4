#include "rl/linear_equation.h"

#include <string>

#include "core/error.h"
#include "rl/answer.h"

namespace seek::rl {

namespace {

struct LinearLevel {
  int64_t max_coefficient;  // |a|, |c|
  int64_t max_solution;     // |x|
  int64_t max_constant;     // |b|
};

constexpr LinearLevel kLevels[kMaxLevel] = {
    {5, 10, 10}, {9, 20, 30}, {12, 50, 100}, {20, 100, 500}, {50, 500, 1000}};

std::string str(int64_t n) { return std::to_string(n); }

// A number as an operand in running text: negatives in parentheses, "3 * (-6)".
std::string operand(int64_t n) { return n < 0 ? "(" + str(n) + ")" : str(n); }

// "3x", "-x", "x"; an empty string for 0.
std::string x_term(int64_t coefficient) {
  if (coefficient == 0) return "";
  if (coefficient == 1) return "x";
  if (coefficient == -1) return "-x";
  return str(coefficient) + "x";
}

// One side of the equation: "3x + 5", "-x - 7", "4x", "-7", "0".
std::string side(int64_t coefficient, int64_t constant) {
  const std::string term = x_term(coefficient);
  if (term.empty()) return str(constant);
  if (constant == 0) return term;
  return term + (constant < 0 ? " - " + str(-constant) : " + " + str(constant));
}

int64_t solution(const Problem& problem) {
  const std::vector<int64_t>& v = problem.operands;
  SEEK_ASSERT(v.size() == 4 && v[0] != v[2]);  // problems come from make_problem()
  return (v[3] - v[1]) / (v[0] - v[2]);
}

}  // namespace

Problem draw_linear_equation(int level, TaskRng* rng) {
  const LinearLevel& spec = kLevels[level - 1];
  const int64_t x = rng->uniform(-spec.max_solution, spec.max_solution);
  int64_t a = 0, c = 0;
  while (a == 0 || a == c) {
    a = rng->uniform(-spec.max_coefficient, spec.max_coefficient);
    c = rng->uniform(-spec.max_coefficient, spec.max_coefficient);
  }
  const int64_t b = rng->uniform(-spec.max_constant, spec.max_constant);
  return make_problem(Task::kLinearEquation, level, {a, b, c, (a - c) * x + b});
}

void render_linear_equation(Problem* problem) {
  const std::vector<int64_t>& v = problem->operands;
  SEEK_CHECK(v.size() == 4, "lineq: needs 4 operands {a, b, c, d}, got " << v.size());
  for (int64_t n : v) {
    SEEK_CHECK(n >= -kLinearMaxCoefficient && n <= kLinearMaxCoefficient,
               "lineq: operand " << n << " is outside +-" << kLinearMaxCoefficient);
  }
  const int64_t a = v[0], b = v[1], c = v[2], d = v[3];
  SEEK_CHECK(a != 0, "lineq: a must not be 0");
  SEEK_CHECK(a != c, "lineq: a == c == " << a << " leaves no x to solve for");
  SEEK_CHECK((d - b) % (a - c) == 0,
             "lineq: " << side(a, b) << " = " << side(c, d) << " has no integer solution");
  const int64_t k = a - c, m = d - b, x = m / k;
  const std::string equation = side(a, b) + " = " + side(c, d);
  problem->prompt = "Solve for x: " + equation + ".";
  std::string& t = problem->trace;
  t = "Solve " + equation + ".\n";
  t += "Collect x on the left: " + str(a) + " - " + operand(c) + " = " + str(k) + ", so " + side(k, b) +
       " = " + str(d) + ".\n";
  t += "Collect constants on the right: " + str(d) + " - " + operand(b) + " = " + str(m) + ", so " +
       x_term(k) + " = " + str(m) + ".\n";
  t += "Divide by " + str(k) + ": x = " + str(m) + " / " + operand(k) + " = " + str(x) + ".\n";
  t += "Check: " + str(a) + " * " + operand(x) + " + " + operand(b) + " = " + str(a * x + b) + " and " +
       str(c) + " * " + operand(x) + " + " + operand(d) + " = " + str(c * x + d) + ".\n";
  t += "So x = " + str(x) + ".";
  problem->answer = str(x);
}

Verdict check_linear_equation(const Problem& problem, std::string_view boxed) {
  std::string_view text = trim_spaces(boxed);
  // "x = -6" and "x=-6" name the same answer as "-6".
  if (!text.empty() && text.front() == 'x') {
    text = trim_spaces(text.substr(1));
    if (text.empty() || text.front() != '=')
      return verdict(Outcome::kMalformed, "'" + std::string(boxed) + "' is not x = N");
    text.remove_prefix(1);
  }
  const std::optional<int64_t> value = parse_integer(text);
  if (!value) return verdict(Outcome::kMalformed, "'" + std::string(boxed) + "' is not an integer");
  const int64_t expected = solution(problem);
  if (*value != expected)
    return verdict(Outcome::kWrong, "x = " + str(*value) + " is not x = " + str(expected));
  return verdict(Outcome::kCorrect);
}

}  // namespace seek::rl
