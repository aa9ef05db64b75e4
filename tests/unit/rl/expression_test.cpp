// Countdown expression grammar and exact evaluation.
#include "rl/expression.h"

#include <gtest/gtest.h>

#include <string>

namespace seek::rl {
namespace {

Rational value_of(const std::string& text) {
  const ExpressionResult result = evaluate_expression(text);
  EXPECT_EQ(result.error, ExpressionError::kNone) << text << ": " << result.message;
  return result.value;
}

ExpressionError error_of(const std::string& text) { return evaluate_expression(text).error; }

TEST(Expression, PrecedenceAndAssociativity) {
  EXPECT_EQ(value_of("2 + 3 * 4"), Rational(14));
  EXPECT_EQ(value_of("(2 + 3) * 4"), Rational(20));
  EXPECT_EQ(value_of("10 - 4 - 3"), Rational(3));  // left to right, not 10 - (4 - 3)
  EXPECT_EQ(value_of("10 - (4 - 3)"), Rational(9));
  EXPECT_EQ(value_of("100 / 10 / 5"), Rational(2));
  EXPECT_EQ(value_of("100/(10/5)"), Rational(50));
  EXPECT_EQ(value_of("  ((7))  "), Rational(7));
  EXPECT_EQ(value_of("0"), Rational(0));
}

TEST(Expression, ExactRationalIntermediates) {
  EXPECT_EQ(value_of("(8 / 3) * 3"), Rational(8));
  EXPECT_EQ(value_of("8 / 3 * 3"), Rational(8));
  EXPECT_EQ(value_of("1 / 3 + 1 / 3 + 1 / 3"), Rational(1));
  EXPECT_EQ(value_of("6 / (1 - 3 / 4)"), Rational(24));  // the classic 24-game trick
  EXPECT_EQ(value_of("7 / 2"), *Rational::make(7, 2));
  EXPECT_EQ(value_of("2 - 5"), Rational(-3));  // negative results are fine, unary minus is not
}

TEST(Expression, CollectsLiteralsInOrder) {
  const ExpressionResult result = evaluate_expression("(25 + 7) * 3 - 25");
  EXPECT_EQ(result.numbers, (std::vector<int64_t>{25, 7, 3, 25}));
}

TEST(Expression, RejectsMalformed) {
  for (const char* text :
       {"", " ", "1 +", "+ 1", "-1 + 2", "(1 + 2", "1 + 2)", "()", "1 2", "1 ** 2", "2 ^ 3", "3 x 4", "3 × 4",
        "1.5 + 2", "07 + 1", "1 + 2 = 3", "sqrt(4)", "1e3", "12345678901234567890"}) {
    EXPECT_EQ(error_of(text), ExpressionError::kSyntax) << "'" << text << "'";
  }
  EXPECT_NE(evaluate_expression("1 + * 2").message.find("offset 4"), std::string::npos);
}

TEST(Expression, DivisionByZero) {
  EXPECT_EQ(error_of("5 / 0"), ExpressionError::kDivisionByZero);
  EXPECT_EQ(error_of("5 / (3 - 3)"), ExpressionError::kDivisionByZero);
  EXPECT_EQ(error_of("5 / (2 / 3 - 4 / 6)"), ExpressionError::kDivisionByZero);
  EXPECT_EQ(error_of("0 / 5"), ExpressionError::kNone);
}

TEST(Expression, OverflowIsAnErrorNotAWrappedValue) {
  EXPECT_EQ(error_of("999999999999999999 * 999999999999999999"), ExpressionError::kOverflow);
  EXPECT_EQ(error_of("1 / 999999999999999999 / 999999999999999999"), ExpressionError::kOverflow);
}

TEST(Expression, NestingAndLengthAreBounded) {
  const std::string deep =
      std::string(kMaxExpressionDepth + 1, '(') + "1" + std::string(kMaxExpressionDepth + 1, ')');
  EXPECT_EQ(error_of(deep), ExpressionError::kSyntax);
  const std::string ok = std::string(kMaxExpressionDepth, '(') + "1" + std::string(kMaxExpressionDepth, ')');
  EXPECT_EQ(error_of(ok), ExpressionError::kNone);
  std::string long_sum = "1";
  while (long_sum.size() <= kMaxExpressionChars) long_sum += "+1";
  EXPECT_EQ(error_of(long_sum), ExpressionError::kSyntax);
  // Unbalanced opening parentheses far past the limit must not recurse without bound.
  EXPECT_EQ(error_of(std::string(500, '(')), ExpressionError::kSyntax);
}

}  // namespace
}  // namespace seek::rl
