// Addition, subtraction and multiplication: answers pass their own checker, wrong ones fail, and
// every line of every trace is re-checked by parsing it back.
#include "rl/arithmetic.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <string>

#include "rl/checker.h"
#include "test_util.h"

namespace seek::rl {
namespace {

using testing::completion_with;
using testing::draw_many;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int64_t to_i(const std::string& s) { return std::stoll(s); }

int digit_at(int64_t n, size_t idx) {
  for (size_t i = 0; i < idx; ++i) n /= 10;
  return static_cast<int>(n % 10);
}

int n_digits(int64_t n) { return static_cast<int>(std::to_string(n).size()); }

// Column lines "col i: x + y + c = s, write w, carry k", each from the operands' digits.
void verify_add_trace(const Problem& p) {
  const int64_t a = p.operands[0], b = p.operands[1];
  const std::regex col(R"(col (\d+): (\d) \+ (\d) \+ (\d) = (\d+), write (\d), carry (\d))");
  int carry = 0;
  size_t n_cols = 0;
  std::string written;
  for (const std::string& line : lines_of(p.trace)) {
    std::smatch m;
    if (std::regex_match(line, m, col)) {
      const size_t i = static_cast<size_t>(to_i(m[1])) - 1;
      ASSERT_EQ(i, n_cols++) << line;
      const int x = static_cast<int>(to_i(m[2])), y = static_cast<int>(to_i(m[3])),
                c = static_cast<int>(to_i(m[4]));
      const int s = static_cast<int>(to_i(m[5]));
      EXPECT_EQ(x, digit_at(a, i)) << line;
      EXPECT_EQ(y, digit_at(b, i)) << line;
      EXPECT_EQ(c, carry) << line;
      EXPECT_EQ(s, x + y + c) << line;
      EXPECT_EQ(to_i(m[6]), s % 10) << line;
      EXPECT_EQ(to_i(m[7]), s / 10) << line;
      carry = s / 10;
      written.insert(written.begin(), m[6].str()[0]);
    } else if (line == "final carry: write 1") {
      EXPECT_EQ(carry, 1);
      written.insert(written.begin(), '1');
      carry = 0;
    }
  }
  EXPECT_EQ(static_cast<int>(n_cols), std::max(n_digits(a), n_digits(b))) << p.trace;
  EXPECT_EQ(carry, 0);
  EXPECT_EQ(written, p.answer);
}

// Column lines "col i: x - y - b = d, [add 10: ]write w, borrow k" over max - min.
void verify_sub_trace(const Problem& p) {
  const int64_t big = std::max(p.operands[0], p.operands[1]), small = std::min(p.operands[0], p.operands[1]);
  const std::regex col(R"(col (\d+): (\d) - (\d) - (\d) = (-?\d+), (add 10: )?write (\d), borrow (\d))");
  int borrow = 0;
  size_t n_cols = 0;
  int64_t value = 0, place = 1;
  for (const std::string& line : lines_of(p.trace)) {
    std::smatch m;
    if (!std::regex_match(line, m, col)) continue;
    const size_t i = static_cast<size_t>(to_i(m[1])) - 1;
    ASSERT_EQ(i, n_cols++) << line;
    const int x = static_cast<int>(to_i(m[2])), y = static_cast<int>(to_i(m[3])),
              br = static_cast<int>(to_i(m[4]));
    const int d = static_cast<int>(to_i(m[5]));
    EXPECT_EQ(x, digit_at(big, i)) << line;
    EXPECT_EQ(y, digit_at(small, i)) << line;
    EXPECT_EQ(br, borrow) << line;
    EXPECT_EQ(d, x - y - br) << line;
    EXPECT_EQ(m[6].matched, d < 0) << line;
    EXPECT_EQ(to_i(m[7]), d < 0 ? d + 10 : d) << line;
    EXPECT_EQ(to_i(m[8]), d < 0 ? 1 : 0) << line;
    borrow = d < 0 ? 1 : 0;
    value += to_i(m[7]) * place;
    place *= 10;
  }
  EXPECT_EQ(static_cast<int>(n_cols), n_digits(big));
  EXPECT_EQ(borrow, 0);
  EXPECT_EQ(value, big - small);
}

// Partial products "A * d = P[, shifted k place(s): Q]" then running sums "s + q = t".
void verify_mul_trace(const Problem& p) {
  const int64_t a = p.operands[0], b = p.operands[1];
  const std::regex partial(R"((\d+) \* (\d) = (\d+)(, shifted (\d+) places?: (\d+))?)");
  const std::regex running(R"((\d+) \+ (\d+) = (\d+))");
  std::vector<int64_t> partials;
  int64_t sum = -1;
  size_t n_added = 1;  // partial products folded into `sum` so far
  for (const std::string& line : lines_of(p.trace)) {
    std::smatch m;
    if (std::regex_match(line, m, partial)) {
      const size_t k = partials.size();
      EXPECT_EQ(to_i(m[1]), a) << line;
      EXPECT_EQ(to_i(m[2]), digit_at(b, k)) << line;
      EXPECT_EQ(to_i(m[3]), a * to_i(m[2])) << line;
      int64_t shifted = to_i(m[3]);
      if (k > 0) {
        ASSERT_TRUE(m[4].matched) << line;
        EXPECT_EQ(to_i(m[5]), static_cast<int64_t>(k)) << line;
        for (size_t i = 0; i < k; ++i) shifted *= 10;
        EXPECT_EQ(to_i(m[6]), shifted) << line;
      }
      partials.push_back(shifted);
    } else if (std::regex_match(line, m, running)) {
      ASSERT_LT(n_added, partials.size()) << line;
      EXPECT_EQ(to_i(m[1]), sum < 0 ? partials[0] : sum) << line;
      EXPECT_EQ(to_i(m[2]), partials[n_added++]) << line;
      EXPECT_EQ(to_i(m[3]), to_i(m[1]) + to_i(m[2])) << line;
      sum = to_i(m[3]);
    }
  }
  ASSERT_EQ(static_cast<int>(partials.size()), n_digits(b)) << p.trace;
  int64_t total = 0;
  for (int64_t q : partials) total += q;
  EXPECT_EQ(total, a * b);  // the partial products sum to the product
  EXPECT_EQ(n_added, partials.size());
  EXPECT_EQ(partials.size() == 1 ? partials[0] : sum, a * b);
}

class ArithmeticTest : public ::testing::TestWithParam<Task> {};

TEST_P(ArithmeticTest, AnswersPassTheirCheckerAndTracesCheckOut) {
  const Task task = GetParam();
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    int n_negative = 0;
    for (const Problem& p : draw_many(task, level, 300, 11 + level)) {
      const int64_t a = p.operands[0], b = p.operands[1];
      const int64_t expected = task == Task::kAdd ? a + b : task == Task::kSub ? a - b : a * b;
      ASSERT_EQ(p.answer, std::to_string(expected));
      n_negative += expected < 0;
      const Verdict v = check_completion(p, assistant_content(p));
      EXPECT_TRUE(v.correct()) << p.prompt << ": " << v.reason;
      // Digit counts follow the level: 2..5 digits for levels 1..4, 6..8 at level 5.
      const int longest = std::max(n_digits(a), n_digits(b));
      if (level < kMaxLevel) {
        EXPECT_EQ(longest, level + 1) << p.prompt;
      } else {
        EXPECT_TRUE(longest >= 6 && longest <= 8) << p.prompt;
      }
      switch (task) {
        case Task::kAdd: verify_add_trace(p); break;
        case Task::kSub: verify_sub_trace(p); break;
        case Task::kMul: verify_mul_trace(p); break;
        default: FAIL();
      }
      if (::testing::Test::HasFailure()) return;
    }
    if (task == Task::kSub) {
      EXPECT_GT(n_negative, 50) << "subtraction should often be negative";
    }
  }
}

TEST_P(ArithmeticTest, WrongAnswersAreRejected) {
  for (const Problem& p : draw_many(GetParam(), 3, 50)) {
    const int64_t right = std::stoll(p.answer);
    EXPECT_EQ(check_answer(p, std::to_string(right + 1)).outcome, Outcome::kWrong);
    EXPECT_EQ(check_answer(p, std::to_string(right - 10)).outcome, Outcome::kWrong);
    if (right != 0) {
      EXPECT_EQ(check_answer(p, std::to_string(-right)).outcome, Outcome::kWrong);
    }
    EXPECT_EQ(check_answer(p, p.answer + ".0").outcome, Outcome::kMalformed);
    EXPECT_EQ(check_answer(p, "x" + p.answer).outcome, Outcome::kMalformed);
    EXPECT_EQ(check_answer(p, "").outcome, Outcome::kMalformed);
    EXPECT_TRUE(check_answer(p, " " + p.answer + " ").correct());
    EXPECT_EQ(check_completion(p, "<think>\n" + p.trace + "\n</think>\n\n" + p.answer).outcome,
              Outcome::kMissing);
    EXPECT_FALSE(check_completion(p, completion_with(p, std::to_string(right + 1))).correct());
  }
}

INSTANTIATE_TEST_SUITE_P(Tasks, ArithmeticTest, ::testing::Values(Task::kAdd, Task::kSub, Task::kMul),
                         [](const auto& info) { return std::string(task_name(info.param)); });

TEST(Arithmetic, HandWorkedExamples) {
  const Problem add = make_problem(Task::kAdd, 1, {4821, 397});
  EXPECT_EQ(add.answer, "5218");
  EXPECT_EQ(add.prompt,
            "What is 4821 + 397?\nPlease reason step by step, and put your final answer within \\boxed{}.");
  const Problem sub = make_problem(Task::kSub, 1, {397, 4821});
  EXPECT_EQ(sub.answer, "-4424");
  EXPECT_NE(sub.trace.find("397 < 4821, so compute 4821 - 397 and negate it."), std::string::npos);
  const Problem mul = make_problem(Task::kMul, 1, {4821, 397});
  EXPECT_EQ(mul.answer, "1913937");
  EXPECT_NE(mul.trace.find("4821 * 9 = 43389, shifted 1 place: 433890"), std::string::npos);
  EXPECT_EQ(make_problem(Task::kSub, 1, {1000, 999}).answer, "1");
  EXPECT_EQ(make_problem(Task::kMul, 1, {0, 7}).answer, "0");
  EXPECT_THROW(make_problem(Task::kAdd, 1, {1, 2, 3}), Error);
  EXPECT_THROW(make_problem(Task::kMul, 1, {-1, 2}), Error);
  EXPECT_THROW(make_problem(Task::kMul, 9, {1, 2}), Error);
}

}  // namespace
}  // namespace seek::rl
