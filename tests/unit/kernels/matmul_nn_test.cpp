// matmul_nn (y = x · w with w stored [k, n], the backward pass's product) at every level against the
// reference, and the reference against the plain definition, on odd sizes and strided views.
#include "kernels/kernels.h"
#include "kernel_test_util.h"

namespace seek::kernels::test {
namespace {

Tensor random_matrix(int64_t rows, int64_t cols, std::mt19937& rng) {
  Tensor t = Tensor::empty(DType::kF32, {rows, cols});
  fill_uniform(t.data_as<float>(), t.numel(), rng);
  return t;
}

TEST(MatmulNnReference, EqualsTheDefinition) {
  std::mt19937 rng(1);
  const Tensor x = random_matrix(3, 5, rng), w = random_matrix(5, 4, rng);
  Tensor y = Tensor::empty(DType::kF32, {3, 4});
  matmul_nn(env().context(KernelLevel::kScalar), x, w, y);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) {
      double want = 0.0;
      for (int t = 0; t < 5; ++t) want += static_cast<double>(x.data_as<float>()[i * 5 + t]) * w.data_as<float>()[t * 4 + j];
      EXPECT_NEAR(y.data_as<float>()[i * 4 + j], want, 1e-5);
    }
}

class MatmulNnLevels : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(MatmulNnLevels, MatchesReferenceOnOddSizesAndViews) {
  if (!level_available(GetParam())) GTEST_SKIP() << "CPU lacks " << kernel_level_name(GetParam());
  std::mt19937 rng(7);
  struct Size {
    int64_t m, k, n;
  };
  for (const Size s : {Size{1, 7, 5}, Size{3, 33, 17}, Size{9, 300, 47}, Size{70, 129, 96}, Size{256, 512, 64}}) {
    // x and w as column views of wider buffers: rows strided.
    const Tensor xb = random_matrix(s.m, s.k + 3, rng), wb = random_matrix(s.k, s.n + 5, rng);
    const Tensor x = xb.narrow(1, 2, s.k), w = wb.narrow(1, 1, s.n);
    Tensor want = Tensor::empty(DType::kF32, {s.m, s.n}), got = Tensor::empty(DType::kF32, {s.m, s.n});
    matmul_nn(env().context(KernelLevel::kScalar), x, w, want);
    matmul_nn(env().context(GetParam()), x, w, got);
    SCOPED_TRACE("m " + std::to_string(s.m) + " k " + std::to_string(s.k) + " n " + std::to_string(s.n));
    EXPECT_TRUE(seek::test::all_close(got.data_as<float>(), want.data_as<float>(), got.numel(), {.rel_l2 = 1e-6}));
  }
}

TEST_P(MatmulNnLevels, TransposedInputMatchesReference) {
  if (!level_available(GetParam())) GTEST_SKIP() << "CPU lacks " << kernel_level_name(GetParam());
  std::mt19937 rng(9);
  struct Size {
    int64_t m, k, n;
  };
  for (const Size s : {Size{1, 7, 5}, Size{5, 40, 33}, Size{17, 300, 47}, Size{96, 257, 64}}) {
    // x stored [k, m] as a column view: y = xᵀ · w
    const Tensor xb = random_matrix(s.k, s.m + 2, rng), w = random_matrix(s.k, s.n, rng);
    const Tensor x = xb.narrow(1, 1, s.m);
    Tensor want = Tensor::empty(DType::kF32, {s.m, s.n}), got = Tensor::empty(DType::kF32, {s.m, s.n});
    matmul_tn(env().context(KernelLevel::kScalar), x, w, want);
    matmul_tn(env().context(GetParam()), x, w, got);
    SCOPED_TRACE("m " + std::to_string(s.m) + " k " + std::to_string(s.k) + " n " + std::to_string(s.n));
    EXPECT_TRUE(seek::test::all_close(got.data_as<float>(), want.data_as<float>(), got.numel(), {.rel_l2 = 1e-6}));
    // and the reference against the definition
    double want00 = 0.0;
    for (int64_t t = 0; t < s.k; ++t)
      want00 += static_cast<double>(x.data_as<float>()[0] * 0 + reinterpret_cast<const float*>(x.row(t))[0]) *
                w.data_as<float>()[t * s.n];
    EXPECT_NEAR(want.data_as<float>()[0], want00, 1e-4);
  }
}

TEST_P(MatmulNnLevels, AccumulateAddsToWhatYHolds) {
  if (!level_available(GetParam())) GTEST_SKIP() << "CPU lacks " << kernel_level_name(GetParam());
  std::mt19937 rng(11);
  for (const bool transposed : {false, true}) {
    const int64_t m = 13, k = 300, n = 37;  // k spans two packing chunks, n a partial panel
    const Tensor x = transposed ? random_matrix(k, m, rng) : random_matrix(m, k, rng), w = random_matrix(k, n, rng);
    const Tensor before = random_matrix(m, n, rng);
    Tensor product = Tensor::empty(DType::kF32, {m, n}), got = before.Copy();
    const KernelContext ref = env().context(KernelLevel::kScalar), fast = env().context(GetParam());
    transposed ? matmul_tn(ref, x, w, product) : matmul_nn(ref, x, w, product);
    transposed ? matmul_tn(fast, x, w, got, true) : matmul_nn(fast, x, w, got, true);
    std::vector<float> want(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m * n; ++i) want[static_cast<size_t>(i)] = before.data_as<float>()[i] + product.data_as<float>()[i];
    SCOPED_TRACE(transposed ? "matmul_tn" : "matmul_nn");
    EXPECT_TRUE(seek::test::all_close(got.data_as<float>(), want.data(), m * n, {.rel_l2 = 1e-6}));
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulNnLevels, ::testing::ValuesIn(fast_levels()), level_param_name);

}  // namespace
}  // namespace seek::kernels::test
