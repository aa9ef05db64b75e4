// Countdown: generated targets are reachable, canonical answers pass, and the checker rejects
// reuse, foreign numbers, division by zero, malformed expressions and wrong values.
#include "rl/countdown.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "rl/checker.h"
#include "rl/expression.h"
#include "test_util.h"

namespace seek::rl {
namespace {

using testing::draw_many;

Problem countdown(std::vector<int64_t> numbers, int64_t target) {
  return make_problem(Task::kCountdown, 1, std::move(numbers), target);
}

// Every "a op b = r" step the search wrote must be arithmetic that holds.
void verify_steps(const Problem& p) {
  const std::regex step(R"((\d+) ([-+*/]) (\d+) = (\d+))");
  // The closing "So <expression> = target." line is checked by evaluating the answer instead.
  const std::string search = p.trace.substr(0, p.trace.rfind("\nSo "));
  int n_steps = 0;
  for (std::sregex_iterator it(search.begin(), search.end(), step), end; it != end; ++it, ++n_steps) {
    const int64_t x = std::stoll((*it)[1]), y = std::stoll((*it)[3]), r = std::stoll((*it)[4]);
    const char op = (*it)[2].str()[0];
    const int64_t expected = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
    EXPECT_EQ(r, expected) << it->str();
    if (op == '/') {
      EXPECT_EQ(x % y, 0) << it->str();
    }
  }
  EXPECT_GT(n_steps, 0) << p.trace;
  EXPECT_EQ(p.trace.substr(p.trace.rfind("\nSo ")),
            "\nSo " + p.answer + " = " + std::to_string(p.target) + ".");
}

TEST(Countdown, GeneratedProblemsAreSolvedByTheirOwnAnswer) {
  constexpr int kCounts[kMaxLevel] = {3, 3, 4, 4, 4};
  constexpr int64_t kMaxNumbers[kMaxLevel] = {20, 100, 25, 100, 100};
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    for (const Problem& p : draw_many(Task::kCountdown, level, 300, 5 + level)) {
      ASSERT_EQ(static_cast<int>(p.operands.size()), kCounts[level - 1]);
      for (int64_t n : p.operands) EXPECT_TRUE(n >= 1 && n <= kMaxNumbers[level - 1]) << p.prompt;
      EXPECT_EQ(std::count(p.operands.begin(), p.operands.end(), p.target), 0) << p.prompt;
      EXPECT_GE(p.target, 1);
      EXPECT_LE(p.target, level == kMaxLevel ? 999 : 100);
      const Verdict v = check_completion(p, assistant_content(p));
      ASSERT_TRUE(v.correct()) << p.prompt << "\n" << p.answer << ": " << v.reason;
      verify_steps(p);
      EXPECT_LE(std::count(p.trace.begin(), p.trace.end(), '\n'), 25) << p.trace;
    }
  }
}

TEST(Countdown, HandWorkedProblem) {
  const Problem p = countdown({3, 7, 25, 50}, 35);
  EXPECT_EQ(
      p.prompt,
      "Using the numbers 3, 7, 25, 50, make 35. You may use + - * / and parentheses, and each number at "
      "most once.\nPlease reason step by step, and put your final answer within \\boxed{}.");
  EXPECT_TRUE(check_answer(p, p.answer).correct()) << p.answer;
  EXPECT_TRUE(check_answer(p, "50 - 25 + 7 + 3").correct());
  EXPECT_TRUE(check_answer(p, "(50-25)+(7+3)").correct());
  EXPECT_TRUE(check_answer(p, "25 + 7 + 3").correct());  // at most once: 50 may go unused
  EXPECT_TRUE(check_answer(p, "(50 / 25 + 3) * 7").correct());
}

TEST(Countdown, RationalIntermediatesAreExact) {
  // 8 / 3 is not an integer, but (8 / 3) * 3 is exactly 8: accepted.
  const Problem p = countdown({8, 3, 3, 2}, 10);
  EXPECT_TRUE(check_answer(p, "8 / 3 * 3 + 2").correct());
  EXPECT_TRUE(check_answer(p, "(8 / 3) * 3 + 2").correct());
  const Problem q = countdown({1, 3, 4, 6}, 24);
  EXPECT_TRUE(check_answer(q, "6 / (1 - 3 / 4)").correct());
  EXPECT_EQ(check_answer(q, "6 / (1 - 3 / 4) - 1 / 3").outcome, Outcome::kInvalid);  // 3 used twice
  EXPECT_EQ(check_answer(q, "6 * 4 / 3").outcome, Outcome::kWrong);
  EXPECT_NE(check_answer(q, "6 * 4 / 3").reason.find("8"), std::string::npos);
  // Near misses a float tolerance might blur still fail: 24 - 1/(6*4*3) is not 24.
  EXPECT_EQ(check_answer(q, "4 * 6 - 1 / 3").outcome, Outcome::kWrong);
}

TEST(Countdown, ReuseAndForeignNumbersAreInvalid) {
  const Problem p = countdown({3, 7, 25, 50}, 35);
  Verdict v = check_answer(p, "25 + 7 + 3 - 3 + 3");
  EXPECT_EQ(v.outcome, Outcome::kInvalid);
  EXPECT_EQ(v.reason, "3 is used more times than it is given");
  v = check_answer(p, "30 + 5");
  EXPECT_EQ(v.outcome, Outcome::kInvalid);
  EXPECT_EQ(v.reason, "30 is not one of the numbers 3, 7, 25, 50");
  EXPECT_EQ(check_answer(p, "7 * 5").outcome, Outcome::kInvalid);  // 5 is not given
  // Duplicates in the source may each be used once.
  const Problem twice = countdown({5, 5, 2}, 12);
  EXPECT_TRUE(check_answer(twice, "5 + 5 + 2").correct());
  EXPECT_EQ(check_answer(twice, "5 + 5 + 5 - 3").outcome, Outcome::kInvalid);
}

TEST(Countdown, DivisionByZeroIsInvalid) {
  const Problem p = countdown({3, 7, 25, 50}, 35);
  const Verdict v = check_answer(p, "50 / (7 - 7)");
  EXPECT_EQ(v.outcome, Outcome::kInvalid);  // 7 reused, reported first
  const Problem q = countdown({4, 4, 9}, 13);
  const Verdict w = check_answer(q, "9 / (4 - 4)");
  EXPECT_EQ(w.outcome, Outcome::kInvalid);
  EXPECT_NE(w.reason.find("division by zero"), std::string::npos);
}

TEST(Countdown, MalformedAndMissing) {
  const Problem p = countdown({3, 7, 25, 50}, 35);
  for (const char* bad :
       {"", "35", "25 + 7 + 3 = 35", "-3 + 38", "25 + 7 +", "(25 + 7 + 3", "25 x 7", "3.0 + 32"}) {
    const Outcome outcome = check_answer(p, bad).outcome;
    // "35" parses but 35 is not a given number.
    EXPECT_TRUE(outcome == Outcome::kMalformed || outcome == Outcome::kInvalid) << "'" << bad << "'";
    EXPECT_FALSE(check_answer(p, bad).correct());
  }
  EXPECT_EQ(check_answer(p, "25 + 7 + 3 = 35").outcome, Outcome::kMalformed);
  EXPECT_EQ(check_completion(p, "<think>\n25 + 7 + 3\n</think>\n\n25 + 7 + 3").outcome, Outcome::kMissing);
  EXPECT_EQ(check_completion(p, "\\boxed{25 + 7 + 3}").outcome, Outcome::kMissing);
}

TEST(Countdown, SolverAndRenderRejectBadProblems) {
  EXPECT_FALSE(solve_countdown({2, 2}, 7).has_value());
  EXPECT_THROW(countdown({2, 2}, 7), Error);
  EXPECT_THROW(countdown({0, 2}, 2), Error);
  EXPECT_THROW(countdown({5}, 5), Error);
  EXPECT_THROW(countdown({1, 2, 3}, 0), Error);
  EXPECT_THROW(make_problem(Task::kAdd, 1, {1, 2}, 3), Error);  // only countdown has a target
  // A target already among the numbers is solved by naming it.
  EXPECT_EQ(countdown({4, 9}, 9).answer, "9");
}

TEST(Countdown, SolverAnswersUseMinimalParentheses) {
  for (const Problem& p : draw_many(Task::kCountdown, 4, 200, 3)) {
    const ExpressionResult result = evaluate_expression(p.answer);
    ASSERT_EQ(result.error, ExpressionError::kNone) << p.answer;
    EXPECT_EQ(result.value, Rational(p.target)) << p.answer;
    EXPECT_EQ(p.answer.find("(("), std::string::npos) << p.answer;
  }
  EXPECT_EQ(countdown({3, 7, 2}, 20).answer, "(7 + 3) * 2");
}

}  // namespace
}  // namespace seek::rl
