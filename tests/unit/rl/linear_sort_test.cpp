// Linear equations and sorting: generated answers pass, traces hold, wrong answers fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "rl/checker.h"
#include "rl/linear_equation.h"
#include "rl/sorting.h"
#include "test_util.h"

namespace seek::rl {
namespace {

using testing::draw_many;

TEST(LinearEquation, GeneratedAnswersSolveTheEquation) {
  // "Check: a * (x) + (b) = L and c * (x) + (d) = R." with negatives in parentheses.
  const std::string side = R"((-?\d+) \* \(?(-?\d+)\)? \+ \(?(-?\d+)\)? = (-?\d+))";
  const std::regex check_line("Check: " + side + " and " + side + R"(\.)");
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    for (const Problem& p : draw_many(Task::kLinearEquation, level, 300, level)) {
      const int64_t a = p.operands[0], b = p.operands[1], c = p.operands[2], d = p.operands[3];
      const int64_t x = std::stoll(p.answer);
      ASSERT_NE(a, c);
      EXPECT_EQ(a * x + b, c * x + d) << p.prompt;
      EXPECT_TRUE(check_completion(p, assistant_content(p)).correct()) << p.prompt;
      std::smatch m;
      ASSERT_TRUE(std::regex_search(p.trace, m, check_line)) << p.trace;
      EXPECT_EQ(std::stoll(m[1]) * std::stoll(m[2]) + std::stoll(m[3]), std::stoll(m[4])) << m.str();
      EXPECT_EQ(std::stoll(m[5]) * std::stoll(m[6]) + std::stoll(m[7]), std::stoll(m[8])) << m.str();
      EXPECT_EQ(m[4], m[8]) << m.str();
    }
  }
}

TEST(LinearEquation, HandWorkedAndChecker) {
  const Problem p = make_problem(Task::kLinearEquation, 1, {3, 5, 1, -7});
  EXPECT_EQ(p.prompt,
            "Solve for x: 3x + 5 = x - 7.\nPlease reason step by step, and put your final answer within "
            "\\boxed{}.");
  EXPECT_EQ(p.answer, "-6");
  EXPECT_NE(p.trace.find("Collect x on the left: 3 - 1 = 2, so 2x + 5 = -7."), std::string::npos) << p.trace;
  EXPECT_NE(p.trace.find("Divide by 2: x = -12 / 2 = -6."), std::string::npos) << p.trace;
  EXPECT_TRUE(check_answer(p, "-6").correct());
  EXPECT_TRUE(check_answer(p, "x = -6").correct());
  EXPECT_TRUE(check_answer(p, " x=-6 ").correct());
  EXPECT_EQ(check_answer(p, "6").outcome, Outcome::kWrong);
  EXPECT_EQ(check_answer(p, "x = 6").outcome, Outcome::kWrong);
  EXPECT_EQ(check_answer(p, "x -6").outcome, Outcome::kMalformed);
  EXPECT_EQ(check_answer(p, "y = -6").outcome, Outcome::kMalformed);
  EXPECT_EQ(check_answer(p, "-12/2").outcome, Outcome::kMalformed);
  EXPECT_EQ(make_problem(Task::kLinearEquation, 1, {-1, 0, 0, 4}).prompt.substr(0, 20),
            "Solve for x: -x = 4.");
  EXPECT_THROW(make_problem(Task::kLinearEquation, 1, {2, 1, 2, 5}), Error);  // a == c
  EXPECT_THROW(make_problem(Task::kLinearEquation, 1, {0, 1, 2, 5}), Error);  // a == 0
  EXPECT_THROW(make_problem(Task::kLinearEquation, 1, {3, 0, 1, 1}), Error);  // x = 1/2
  EXPECT_THROW(make_problem(Task::kLinearEquation, 1, {3, 0, 1}), Error);
}

TEST(Sort, GeneratedAnswersAreSortedPermutations) {
  constexpr int kLengths[kMaxLevel] = {4, 5, 7, 9, 12};
  for (int level = kMinLevel; level <= kMaxLevel; ++level) {
    for (const Problem& p : draw_many(Task::kSort, level, 200, level)) {
      ASSERT_EQ(static_cast<int>(p.operands.size()), kLengths[level - 1]);
      EXPECT_TRUE(check_completion(p, assistant_content(p)).correct()) << p.prompt;
      // One selection step per element, each naming the minimum of what remains.
      const std::regex step(R"(smallest is (-?\d+)\.)");
      std::vector<int64_t> picked;
      for (std::sregex_iterator it(p.trace.begin(), p.trace.end(), step), end; it != end; ++it) {
        picked.push_back(std::stoll((*it)[1]));
      }
      std::vector<int64_t> sorted = p.operands;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(picked, sorted) << p.trace;
    }
  }
}

TEST(Sort, Checker) {
  const Problem p = make_problem(Task::kSort, 1, {5, -2, 9, 3, -2});
  EXPECT_EQ(p.answer, "-2, -2, 3, 5, 9");
  EXPECT_TRUE(check_answer(p, "-2, -2, 3, 5, 9").correct());
  EXPECT_TRUE(check_answer(p, "[-2,-2,3,5,9]").correct());
  EXPECT_EQ(check_answer(p, "-2, 3, 5, 9").outcome, Outcome::kWrong);          // a duplicate dropped
  EXPECT_EQ(check_answer(p, "9, 5, 3, -2, -2").outcome, Outcome::kWrong);      // descending
  EXPECT_EQ(check_answer(p, "-2, -2, 3, 5, 9, 10").outcome, Outcome::kWrong);  // extra
  EXPECT_EQ(check_answer(p, "-2 -2 3 5 9").outcome, Outcome::kMalformed);
  EXPECT_EQ(check_answer(p, "").outcome, Outcome::kMalformed);
  EXPECT_THROW(make_problem(Task::kSort, 1, {}), Error);
}

}  // namespace
}  // namespace seek::rl
