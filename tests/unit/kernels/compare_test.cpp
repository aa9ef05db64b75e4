// tests/common/compare.h: the comparison every numeric test relies on must itself fail when it should.
#include "common/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace seek::test {
namespace {

TEST(Compare, IdenticalPasses) {
  const std::vector<float> a = {1.0f, -2.0f, NAN, INFINITY};
  const CompareResult r = compare(a, a, {.rel_l2 = 0});
  EXPECT_TRUE(r.ok) << r.report();
  EXPECT_EQ(r.worst_idx, -1);
}

TEST(Compare, RelativeL2AndWorstElement) {
  const std::vector<float> want = {3.0f, 4.0f, 0.0f};  // ||want|| = 5
  const std::vector<float> got = {3.0f, 4.5f, 0.0f};
  const CompareResult r = compare(got, want, {.rel_l2 = 0.2});
  EXPECT_TRUE(r.ok);
  EXPECT_NEAR(r.rel_l2, 0.1, 1e-12);
  EXPECT_NEAR(r.nmse, 0.01, 1e-12);
  EXPECT_EQ(r.worst_idx, 1);
  EXPECT_DOUBLE_EQ(r.max_abs, 0.5);
  EXPECT_FALSE(compare(got, want, {.rel_l2 = 0.05}).ok);
  EXPECT_FALSE(compare(got, want, {.rel_l2 = 1.0, .max_abs = 0.1}).ok);
}

TEST(Compare, NonFinitePlacementMustMatch) {
  const std::vector<float> want = {1.0f, NAN, 2.0f};
  EXPECT_FALSE(compare(std::vector<float>{1.0f, 0.0f, 2.0f}, want, {.rel_l2 = 1e9}).ok) << "NaN never passes";
  EXPECT_FALSE(compare(std::vector<float>{1.0f, NAN, NAN}, want, {.rel_l2 = 1e9}).ok);
  EXPECT_FALSE(compare(std::vector<float>{INFINITY}, std::vector<float>{-INFINITY}, {.rel_l2 = 1e9}).ok);
  const CompareResult r = compare(std::vector<float>{1.0f, INFINITY, 2.0f}, want, {.rel_l2 = 1e9});
  EXPECT_EQ(r.nonfinite_mismatch_idx, 1);
  EXPECT_NE(r.report().find("non-finite mismatch at [1]"), std::string::npos) << r.report();
}

TEST(Compare, ZeroReferenceUsesAbsoluteNorm) {
  const std::vector<float> want = {0.0f, 0.0f};
  EXPECT_TRUE(compare(std::vector<float>{1e-9f, 0.0f}, want, {.rel_l2 = 1e-8}).ok);
  EXPECT_FALSE(compare(std::vector<float>{1e-3f, 0.0f}, want, {.rel_l2 = 1e-8}).ok);
}

TEST(Compare, StridedAndSizeMismatch) {
  const float got[] = {1, 99, 2, 99}, want[] = {1, 2};
  EXPECT_TRUE(compare(got, want, 2, {.rel_l2 = 0}, 2, 1).ok);
  EXPECT_FALSE(all_close(std::vector<float>{1.0f}, std::vector<float>{1.0f, 2.0f}));
}

}  // namespace
}  // namespace seek::test
