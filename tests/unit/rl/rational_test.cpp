// Exact rationals: reduced form, signs, and every overflow reported instead of wrapped.
#include "rl/rational.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace seek::rl {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

Rational r(int64_t num, int64_t den) { return *Rational::make(num, den); }

TEST(Rational, MakeReducesAndNormalisesSign) {
  EXPECT_EQ(r(6, 4), r(3, 2));
  EXPECT_EQ(r(3, -6).num(), -1);
  EXPECT_EQ(r(3, -6).den(), 2);
  EXPECT_EQ(r(-4, -2), Rational(2));
  EXPECT_EQ(r(0, -5), Rational(0));
  EXPECT_EQ(r(0, -5).den(), 1);
  EXPECT_FALSE(Rational::make(1, 0).has_value());
  EXPECT_FALSE(Rational::make(std::numeric_limits<int64_t>::min(), 1).has_value());
}

TEST(Rational, EightThirdsTimesThreeIsExactlyEight) {
  const Rational eight_thirds = *divide(8, 3);
  EXPECT_FALSE(eight_thirds.is_integer());
  EXPECT_EQ(*multiply(eight_thirds, 3), Rational(8));
  // 1/3 + 1/3 + 1/3 is exactly 1, where floats give 0.9999...
  const Rational third = *divide(1, 3);
  EXPECT_EQ(*add(*add(third, third), third), Rational(1));
  EXPECT_EQ(r(-8, 3).to_string(), "-8/3");
  EXPECT_EQ(Rational(8).to_string(), "8");
}

TEST(Rational, Arithmetic) {
  EXPECT_EQ(*add(r(1, 2), r(1, 3)), r(5, 6));
  EXPECT_EQ(*subtract(r(1, 2), r(1, 3)), r(1, 6));
  EXPECT_EQ(*subtract(r(1, 3), r(1, 2)), r(-1, 6));
  EXPECT_EQ(*multiply(r(-2, 3), r(9, 4)), r(-3, 2));
  EXPECT_EQ(*divide(r(2, 3), r(-4, 9)), r(-3, 2));
}

TEST(Rational, DivisionByZeroIsNullopt) {
  EXPECT_FALSE(divide(5, 0).has_value());
  EXPECT_FALSE(divide(0, 0).has_value());
  EXPECT_FALSE(divide(r(1, 2), *subtract(r(1, 2), r(1, 2))).has_value());
}

TEST(Rational, OverflowIsNulloptNotWrapped) {
  EXPECT_FALSE(add(kMax, 1).has_value());
  EXPECT_FALSE(subtract(-kMax, 1).has_value());
  EXPECT_FALSE(multiply(kMax, 2).has_value());
  EXPECT_FALSE(multiply(int64_t{1} << 32, int64_t{1} << 31).has_value());
  EXPECT_TRUE(multiply(int64_t{1} << 31, int64_t{1} << 31).has_value());
  // A denominator that does not fit: 1 / kMax / 2.
  EXPECT_FALSE(divide(*divide(1, kMax), 2).has_value());
  // Large intermediates that reduce back into range are fine: (kMax / 3) * 3.
  EXPECT_EQ(*multiply(*divide(kMax, 3), 3), Rational(kMax));
  EXPECT_EQ(*add(kMax, -kMax), Rational(0));
}

}  // namespace
}  // namespace seek::rl
