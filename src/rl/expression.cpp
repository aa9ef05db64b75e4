#include "rl/expression.h"

#include <optional>

namespace seek::rl {

namespace {

constexpr size_t kMaxLiteralDigits = 18;  // 10^18 - 1 < 2^63

// Recursive descent over the grammar in expression.h. The first error stops everything: later
// tokens are not looked at, so an error message always names the first thing at fault.
class Parser {
 public:
  explicit Parser(std::string_view text, ExpressionResult* result) : text_(text), result_(result) {}

  std::optional<Rational> parse_all() {
    std::optional<Rational> value = parse_expr(0);
    if (!value) return std::nullopt;
    skip_spaces();
    if (pos_ != text_.size())
      return fail(ExpressionError::kSyntax, "unexpected '" + std::string(1, text_[pos_]) + "'");
    return value;
  }

 private:
  std::optional<Rational> parse_expr(int depth) {
    std::optional<Rational> left = parse_term(depth);
    while (left) {
      const char op = peek();
      if (op != '+' && op != '-') break;
      ++pos_;
      const std::optional<Rational> right = parse_term(depth);
      if (!right) return std::nullopt;
      left = op == '+' ? add(*left, *right) : subtract(*left, *right);
      if (!left) return fail(ExpressionError::kOverflow, "a value does not fit in 64 bits");
    }
    return left;
  }

  std::optional<Rational> parse_term(int depth) {
    std::optional<Rational> left = parse_factor(depth);
    while (left) {
      const char op = peek();
      if (op != '*' && op != '/') break;
      ++pos_;
      const std::optional<Rational> right = parse_factor(depth);
      if (!right) return std::nullopt;
      if (op == '/' && right->num() == 0) return fail(ExpressionError::kDivisionByZero, "division by zero");
      left = op == '*' ? multiply(*left, *right) : divide(*left, *right);
      if (!left) return fail(ExpressionError::kOverflow, "a value does not fit in 64 bits");
    }
    return left;
  }

  std::optional<Rational> parse_factor(int depth) {
    const char c = peek();
    if (c == '(') {
      if (depth + 1 > kMaxExpressionDepth)
        return fail(ExpressionError::kSyntax, "parentheses nested too deeply");
      ++pos_;
      std::optional<Rational> inner = parse_expr(depth + 1);
      if (!inner) return std::nullopt;
      if (peek() != ')') return fail(ExpressionError::kSyntax, "missing ')'");
      ++pos_;
      return inner;
    }
    if (c >= '0' && c <= '9') return parse_number();
    if (c == '\0') return fail(ExpressionError::kSyntax, "expression ends where a number or '(' is expected");
    return fail(ExpressionError::kSyntax,
                "unexpected '" + std::string(1, c) + "' where a number or '(' is expected");
  }

  std::optional<Rational> parse_number() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    const std::string_view digits = text_.substr(start, pos_ - start);
    if (digits.size() > 1 && digits[0] == '0')
      return fail(ExpressionError::kSyntax, "number with a leading zero");
    if (digits.size() > kMaxLiteralDigits) return fail(ExpressionError::kSyntax, "number too long");
    int64_t value = 0;
    for (char d : digits) value = value * 10 + (d - '0');
    result_->numbers.push_back(value);
    return Rational(value);
  }

  // The next non-space character, or '\0' at the end.
  char peek() {
    skip_spaces();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }

  std::nullopt_t fail(ExpressionError error, std::string message) {
    result_->error = error;
    result_->message = std::move(message) + " at offset " + std::to_string(pos_);
    return std::nullopt;
  }

  std::string_view text_;
  ExpressionResult* result_;
  size_t pos_ = 0;
};

}  // namespace

ExpressionResult evaluate_expression(std::string_view text) {
  ExpressionResult result;
  if (text.size() > kMaxExpressionChars) {
    result.error = ExpressionError::kSyntax;
    result.message = "expression longer than " + std::to_string(kMaxExpressionChars) + " characters";
    return result;
  }
  Parser parser(text, &result);
  if (const std::optional<Rational> value = parser.parse_all()) result.value = *value;
  return result;
}

}  // namespace seek::rl
