// The training passes (kernels/grad.h) at every level against the reference, on odd sizes (tails)
// and sizes large enough to be split over the pool; the reference against the written-out formulas.
#include "kernels/grad.h"

#include <cmath>

#include "kernel_test_util.h"

namespace seek::kernels::test {
namespace {

std::vector<float> random_values(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  fill_uniform(v.data(), n, rng, scale);
  return v;
}

bool close(const std::vector<float>& got, const std::vector<float>& want, double rel_l2 = 1e-6) {
  return seek::test::all_close(got.data(), want.data(), static_cast<int64_t>(got.size()), {.rel_l2 = rel_l2});
}

TEST(GradReference, SwigluAndRmsnormBackwardAreTheFormulas) {
  const KernelContext ref = env().context(KernelLevel::kScalar);
  // swiglu: d/dg of silu(g) u = u s (1 + g (1 - s)), d/du = silu(g)
  float g = 0.7f, u = -1.3f, dy = 0.5f, dg = 0.25f, du = 0.0f;
  swiglu_backward(ref, &g, &u, &dy, &dg, &du, 1);
  const double s = 1.0 / (1.0 + std::exp(-0.7));
  EXPECT_NEAR(dg, 0.25 + 0.5 * -1.3 * s * (1.0 + 0.7 * (1.0 - s)), 1e-6);
  EXPECT_NEAR(du, 0.5 * 0.7 * s, 1e-6);
  // rmsnorm on one row of 2: central differences of Σ dy ⊙ y
  const float x[2] = {0.6f, -1.1f}, w[2] = {1.5f, 0.8f}, d[2] = {0.3f, -0.9f}, eps = 1e-5f;
  float dx[2] = {0, 0}, dw[2] = {0, 0};
  rmsnorm_backward(ref, x, w, d, eps, dx, dw, 1, 2);
  auto loss = [&](const double* xv, const double* wv) {
    const double r = 1.0 / std::sqrt((xv[0] * xv[0] + xv[1] * xv[1]) / 2.0 + eps);
    return d[0] * wv[0] * xv[0] * r + d[1] * wv[1] * xv[1] * r;
  };
  for (int j = 0; j < 2; ++j) {
    double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]}, wd[2] = {w[0], w[1]};
    xp[j] += 1e-4;
    xm[j] -= 1e-4;
    EXPECT_NEAR(dx[j], (loss(xp, wd) - loss(xm, wd)) / 2e-4, 1e-4);
    double wp[2] = {w[0], w[1]}, wm[2] = {w[0], w[1]}, xd[2] = {x[0], x[1]};
    wp[j] += 1e-4;
    wm[j] -= 1e-4;
    EXPECT_NEAR(dw[j], (loss(xd, wp) - loss(xd, wm)) / 2e-4, 1e-4);
  }
}

class GradLevels : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(GradLevels, ElementwisePassesMatchReference) {
  if (!level_available(GetParam())) GTEST_SKIP() << "CPU lacks " << kernel_level_name(GetParam());
  const KernelContext ref = env().context(KernelLevel::kScalar), fast = env().context(GetParam());
  for (const int64_t n : {int64_t{1}, int64_t{7}, int64_t{37}, int64_t{40001}}) {
    SCOPED_TRACE("n " + std::to_string(n));
    const std::vector<float> x = random_values(n, 1), gate = random_values(n, 2, 4.0f), up = random_values(n, 3);
    std::vector<float> y_ref = random_values(n, 4), y = y_ref;
    add(ref, y_ref.data(), x.data(), n);
    add(fast, y.data(), x.data(), n);
    EXPECT_TRUE(close(y, y_ref, 0.0));
    std::vector<float> sum_ref(static_cast<size_t>(n)), sum(static_cast<size_t>(n), NAN);  // y = a + b, out of place
    add(ref, sum_ref.data(), x.data(), up.data(), n);
    add(fast, sum.data(), x.data(), up.data(), n);
    EXPECT_TRUE(close(sum, sum_ref, 0.0));
    EXPECT_EQ(sum_ref[static_cast<size_t>(n - 1)], x[static_cast<size_t>(n - 1)] + up[static_cast<size_t>(n - 1)]);
    scale(ref, y_ref.data(), 0.37f, n);
    scale(fast, y.data(), 0.37f, n);
    EXPECT_TRUE(close(y, y_ref, 0.0));
    EXPECT_NEAR(sum_squares(fast, x.data(), n), sum_squares(ref, x.data(), n), 1e-6 * sum_squares(ref, x.data(), n));
    // swiglu backward adds into what the gradients hold; either may be absent
    std::vector<float> dg_ref = random_values(n, 5), dg = dg_ref, du_ref = random_values(n, 6), du = du_ref;
    swiglu_backward(ref, gate.data(), up.data(), x.data(), dg_ref.data(), du_ref.data(), n);
    swiglu_backward(fast, gate.data(), up.data(), x.data(), dg.data(), du.data(), n);
    EXPECT_TRUE(close(dg, dg_ref, 1e-5));
    EXPECT_TRUE(close(du, du_ref, 1e-5));
    swiglu_backward(fast, gate.data(), up.data(), x.data(), nullptr, du.data(), n);
    swiglu_backward(ref, gate.data(), up.data(), x.data(), nullptr, du_ref.data(), n);
    EXPECT_TRUE(close(du, du_ref, 1e-5));
  }
}

TEST_P(GradLevels, RmsnormBackwardMatchesReference) {
  if (!level_available(GetParam())) GTEST_SKIP() << "CPU lacks " << kernel_level_name(GetParam());
  const KernelContext ref = env().context(KernelLevel::kScalar), fast = env().context(GetParam());
  for (const auto& [rows, d] : {std::pair<int64_t, int64_t>{1, 5}, {3, 37}, {300, 256}}) {
    SCOPED_TRACE("rows " + std::to_string(rows) + " d " + std::to_string(d));
    const std::vector<float> x = random_values(rows * d, 1, 2.0f), w = random_values(d, 2), dy = random_values(rows * d, 3);
    std::vector<float> dx_ref = random_values(rows * d, 4), dx = dx_ref, dw_ref = random_values(d, 5), dw = dw_ref;
    rmsnorm_backward(ref, x.data(), w.data(), dy.data(), 1e-6f, dx_ref.data(), dw_ref.data(), rows, d);
    rmsnorm_backward(fast, x.data(), w.data(), dy.data(), 1e-6f, dx.data(), dw.data(), rows, d);
    EXPECT_TRUE(close(dx, dx_ref, 1e-5));
    EXPECT_TRUE(close(dw, dw_ref, 1e-5));
    rmsnorm_backward(fast, x.data(), w.data(), dy.data(), 1e-6f, nullptr, dw.data(), rows, d);
    rmsnorm_backward(ref, x.data(), w.data(), dy.data(), 1e-6f, nullptr, dw_ref.data(), rows, d);
    EXPECT_TRUE(close(dw, dw_ref, 1e-5));
  }
}

TEST_P(GradLevels, SoftmaxBackwardMatchesReference) {
  if (!level_available(GetParam())) GTEST_SKIP() << "CPU lacks " << kernel_level_name(GetParam());
  const KernelContext ref = env().context(KernelLevel::kScalar), fast = env().context(GetParam());
  const int64_t rows = 70, n = 301, ld = 320;  // strided rows, a tail of 5
  std::vector<float> p(static_cast<size_t>(rows * ld)), d = random_values(rows * ld, 2);
  const std::vector<float> s = random_values(rows * ld, 1, 3.0f);
  for (int64_t r = 0; r < rows; ++r) {  // each row a softmax of random scores
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += std::exp(s[static_cast<size_t>(r * ld + j)]);
    for (int64_t j = 0; j < n; ++j) p[static_cast<size_t>(r * ld + j)] = static_cast<float>(std::exp(s[static_cast<size_t>(r * ld + j)]) / sum);
  }
  std::vector<float> want = d, got = d;
  softmax_backward(ref, p.data(), want.data(), rows, n, ld, 0.7f);
  softmax_backward(fast, p.data(), got.data(), rows, n, ld, 0.7f);
  EXPECT_TRUE(close(got, want, 1e-5));
  // the reference is the formula: row 0, element 3
  double dot = 0.0;
  for (int64_t j = 0; j < n; ++j) dot += static_cast<double>(p[static_cast<size_t>(j)]) * d[static_cast<size_t>(j)];
  EXPECT_NEAR(want[3], p[3] * (d[3] - dot) * 0.7, 1e-6);
  EXPECT_EQ(want[static_cast<size_t>(n)], d[static_cast<size_t>(n)]);  // past n: untouched
}

TEST_P(GradLevels, AdamwMatchesReference) {
  if (!level_available(GetParam())) GTEST_SKIP() << "CPU lacks " << kernel_level_name(GetParam());
  const KernelContext ref = env().context(KernelLevel::kScalar), fast = env().context(GetParam());
  const int64_t n = 20003;
  const std::vector<float> g = random_values(n, 1, 0.1f);
  std::vector<float> w_ref = random_values(n, 2), w = w_ref, m_ref = random_values(n, 3, 0.01f), m = m_ref;
  std::vector<float> v_ref(static_cast<size_t>(n), 1e-4f), v = v_ref;
  const AdamWUpdate u{.keep = 0.9999f, .b1 = 0.9f, .b2 = 0.95f, .eps = 1e-8f, .step_size = 1e-3f, .inv_sqrt_bc2 = 3.2f};
  for (int step = 0; step < 3; ++step) {
    adamw_update(ref, w_ref.data(), g.data(), m_ref.data(), v_ref.data(), n, u);
    adamw_update(fast, w.data(), g.data(), m.data(), v.data(), n, u);
  }
  EXPECT_TRUE(close(w, w_ref, 1e-6));
  EXPECT_TRUE(close(m, m_ref, 1e-6));
  EXPECT_TRUE(close(v, v_ref, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(Levels, GradLevels, ::testing::ValuesIn(fast_levels()), level_param_name);

}  // namespace
}  // namespace seek::kernels::test
