// Countdown expressions: parsing and exact evaluation of what a model writes inside \boxed{}.
//
// Grammar (spaces allowed between tokens, nothing else):
//     expr   := term   (('+' | '-') term)*
//     term   := factor (('*' | '/') factor)*
//     factor := number | '(' expr ')'
//     number := '0' | [1-9][0-9]*          at most 18 digits
// There is no unary minus and no '=': an answer is an expression over the given numbers, and
// anything else (a sign, "= 35", a stray letter) is malformed rather than guessed at. '/' is exact
// rational division, so (8 / 3) * 3 evaluates to exactly 8. Nesting and length are bounded, so a
// hostile completion cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rl/rational.h"

namespace seek::rl {

inline constexpr size_t kMaxExpressionChars = 512;
inline constexpr int kMaxExpressionDepth = 32;  // nested parentheses

enum class ExpressionError {
  kNone,
  kSyntax,          // does not match the grammar (the message says where)
  kDivisionByZero,  // a divisor evaluated to exactly 0
  kOverflow,        // an intermediate value's reduced numerator or denominator left int64
};

struct ExpressionResult {
  ExpressionError error = ExpressionError::kNone;
  std::string message;           // empty when error == kNone
  Rational value;                // valid when error == kNone
  std::vector<int64_t> numbers;  // the literals, in the order written (filled even on arithmetic errors)
};

ExpressionResult evaluate_expression(std::string_view text);

}  // namespace seek::rl
