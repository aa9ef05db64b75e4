// Rational: an exact fraction of two int64s, for checking Countdown answers without floating point.
//
// TinyZero compares float results within 1e-5, which accepts wrong answers that land within 1e-5 of
// the target (4 * 6 - 1 / 100000 "is" 24) and depends on rounding for right ones. Here (8 / 3) * 3
// is exactly 8. Values are kept reduced with a positive denominator, so equality is field
// equality. Every operation is checked: a result that does not fit in int64, or a division by zero,
// comes back as std::nullopt instead of wrapping, so an adversarial expression can never be judged
// by an overflowed value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace seek::rl {

class Rational {
 public:
  Rational() = default;
  // Implicit on purpose: integers are rationals. integer != INT64_MIN (make() rejects it; parsers
  // never produce it, their literals have at most 18 digits).
  Rational(int64_t integer) : num_(integer), den_(1) {}

  // nullopt when den == 0 or the reduced fraction does not fit (only INT64_MIN can fail to negate).
  static std::optional<Rational> make(int64_t num, int64_t den);

  int64_t num() const { return num_; }
  int64_t den() const { return den_; }  // > 0
  bool is_integer() const { return den_ == 1; }
  std::string to_string() const;  // "8", "-8/3"

  friend bool operator==(const Rational& a, const Rational& b) = default;

 private:
  int64_t num_ = 0;  // sign lives here
  int64_t den_ = 1;  // > 0, gcd(|num_|, den_) == 1
};

// Exact arithmetic; nullopt on overflow of the reduced result, or (divide) a zero divisor.
std::optional<Rational> add(const Rational& a, const Rational& b);
std::optional<Rational> subtract(const Rational& a, const Rational& b);
std::optional<Rational> multiply(const Rational& a, const Rational& b);
std::optional<Rational> divide(const Rational& a, const Rational& b);

}  // namespace seek::rl
