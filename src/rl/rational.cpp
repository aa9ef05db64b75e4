#include "rl/rational.h"

#include <limits>

namespace seek::rl {

namespace {

using int128 = __int128;

int128 abs128(int128 x) { return x < 0 ? -x : x; }

int128 gcd128(int128 a, int128 b) {
  a = abs128(a);
  b = abs128(b);
  while (b != 0) {
    const int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Products of two int64s fit in 128 bits, and sums of two such products too (|x| < 2^127), so every
// operation is computed exactly in int128 and only the reduced result has to fit back in int64.
std::optional<Rational> reduce(int128 num, int128 den) {
  if (den == 0) return std::nullopt;
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const int128 g = gcd128(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  constexpr int128 kMax = std::numeric_limits<int64_t>::max();
  // INT64_MIN is excluded too, so negating any stored numerator stays in range.
  if (num > kMax || num < -kMax || den > kMax) return std::nullopt;
  return Rational::make(static_cast<int64_t>(num), static_cast<int64_t>(den));
}

}  // namespace

std::optional<Rational> Rational::make(int64_t num, int64_t den) {
  if (den == 0 || num == std::numeric_limits<int64_t>::min() || den == std::numeric_limits<int64_t>::min()) {
    return std::nullopt;
  }
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const int64_t g = static_cast<int64_t>(gcd128(num, den));
  Rational r;
  r.num_ = g > 1 ? num / g : num;
  r.den_ = g > 1 ? den / g : den;
  return r;
}

std::string Rational::to_string() const {
  return den_ == 1 ? std::to_string(num_) : std::to_string(num_) + "/" + std::to_string(den_);
}

std::optional<Rational> add(const Rational& a, const Rational& b) {
  return reduce(int128(a.num()) * b.den() + int128(b.num()) * a.den(), int128(a.den()) * b.den());
}

std::optional<Rational> subtract(const Rational& a, const Rational& b) {
  return reduce(int128(a.num()) * b.den() - int128(b.num()) * a.den(), int128(a.den()) * b.den());
}

std::optional<Rational> multiply(const Rational& a, const Rational& b) {
  return reduce(int128(a.num()) * b.num(), int128(a.den()) * b.den());
}

std::optional<Rational> divide(const Rational& a, const Rational& b) {
  if (b.num() == 0) return std::nullopt;
  return reduce(int128(a.num()) * b.den(), int128(a.den()) * b.num());
}

}  // namespace seek::rl
