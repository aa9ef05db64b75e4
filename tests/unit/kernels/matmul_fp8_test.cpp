// matmul on FP8 e4m3 weights with DeepSeek-V3-style block scales (core/block_scales.h): the reference
// against direct math on the widened weights, every fast level against the reference on the decode,
// small-batch and GEMM paths, views whose scales are found by address (row ranges, MLA-style heads),
// runs that straddle scale blocks, and the NaN codes.
#include <cmath>

#include "core/error.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {
namespace {

using seek::test::all_close;

// y = x · wᵀ in double on the widened weights.
std::vector<float> direct(const Tensor& x, const Tensor& w_f32) {
  const int64_t m = x.dim(0), n = w_f32.dim(0), k = x.dim(1);
  std::vector<float> y(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t t = 0; t < k; ++t)
        acc += static_cast<double>(x.data_as<float>()[i * k + t]) * w_f32.data_as<float>()[j * k + t];
      y[static_cast<size_t>(i * n + j)] = static_cast<float>(acc);
    }
  return y;
}

Tensor run(KernelLevel level, const Tensor& x, const Tensor& w) {
  Tensor y = Tensor::empty(DType::kF32, {x.dim(0), w.dim(0)});
  matmul(env().context(level), x, w, y);
  EXPECT_EQ(env().scratch().used(), 0u) << "matmul must release its scratch";
  return y;
}

TEST(MatmulFp8, WidenedValuesTimesBlockScales) {
  std::mt19937 rng(5);
  const Tensor w = random_fp8(3, 300, rng, 2, 128);  // 2-row blocks: rows 0-1 and 2 scale apart
  const Tensor f = w.to_f32();
  const BlockScales& s = *w.block_scales();
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c : {0, 127, 128, 299}) {
      const float want = f8e4m3_to_f32(w.data_as<uint8_t>()[r * 300 + c]) * s.scale[(r / 2) * 3 + c / 128];
      EXPECT_EQ(f.data_as<float>()[r * 300 + c], want) << r << "," << c;
    }
  const Tensor x = random_f32({2, 300}, rng);
  EXPECT_TRUE(all_close(dense(run(KernelLevel::kScalar, x, w)), direct(x, f), {.rel_l2 = 1e-6}));
}

class MatmulFp8Level : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(MatmulFp8Level, MatchesReference) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(77);
  struct Case {
    int64_t n, k;
  };
  // k = 37: one run with a tail; 300: runs of 128, 128, 44; 1184: nine and a half blocks.
  for (const Case c : {Case{37, 96}, Case{130, 300}, Case{45, 1184}, Case{20, 37}}) {
    const Tensor w = random_fp8(c.n, c.k, rng);
    for (int64_t m : {1, 2, 3, 4, 5, 8, 15, 16, 33, 70}) {
      const Tensor x = random_f32({m, c.k}, rng);
      EXPECT_TRUE(all_close(dense(run(level, x, w)), dense(run(KernelLevel::kScalar, x, w)), {.rel_l2 = 2e-5}))
          << "m=" << m << " n=" << c.n << " k=" << c.k;
    }
  }
}

TEST_P(MatmulFp8Level, ViewsFindTheirScales) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(8);
  const Tensor w = random_fp8(300, 256, rng);
  // Rows 130..174 (inside the second row block, not at its start) and columns 64..255 (runs that
  // start mid-block: 64 values, then 128).
  const Tensor part = w.narrow(0, 130, 45).narrow(1, 64, 192);
  const Tensor part_f32 = w.to_f32().narrow(0, 130, 45).narrow(1, 64, 192).Copy();
  for (int64_t m : {1, 4, 16}) {
    const Tensor x = random_f32({m, 192}, rng);
    EXPECT_TRUE(all_close(dense(run(level, x, part)), direct(x, part_f32), {.rel_l2 = 2e-5})) << "m=" << m;
  }
  // MLA-style heads: [3 heads x 100 rows, 256] seen as [3, 100, 256], each head's last 60 rows.
  const Tensor heads = w.narrow(0, 0, 300).reshape({3, 100, 256}).narrow(1, 40, 60);
  const Tensor widened = w.to_f32();
  const Tensor x = random_f32({2, 3, 256}, rng);
  Tensor y = Tensor::empty(DType::kF32, {2, 3, 60});
  matmul_heads(env().context(level), x, heads, y);
  for (int64_t h = 0; h < 3; ++h) {
    const Tensor wh = widened.narrow(0, h * 100 + 40, 60);
    const Tensor xh = x.select(1, h).Copy();
    EXPECT_TRUE(all_close(dense(y.select(1, h)), direct(xh, wh), {.rel_l2 = 2e-5})) << "head " << h;
  }
}

TEST_P(MatmulFp8Level, NanCodePropagates) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(9);
  const int64_t n = 20, k = 200;
  Tensor w = random_fp8(n, k, rng, 128, 128, /*nan_at=*/7 * k + 150);
  uint8_t* q = w.data_as<uint8_t>();
  q[12 * k + 5] = 0xFF;                     // -NaN, in a row's first 32 values
  q[15 * k + 196] = 0x7F;                   // in a run's last values past whole steps
  q[3 * k + 40] = 0x7E, q[3 * k + 41] = 0xFE;  // ±448, the largest finite codes: no NaN
  for (int64_t m : {1, 3, 8, 16}) {
    const std::vector<float> y = dense(run(level, random_f32({m, k}, rng), w));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        EXPECT_EQ(std::isnan(y[static_cast<size_t>(i * n + j)]), j == 7 || j == 12 || j == 15) << i << "," << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulFp8Level, ::testing::ValuesIn(fast_levels()), level_param_name);

TEST(MatmulFp8, CopyRefusesAndScalesNeedFp8) {
  std::mt19937 rng(10);
  const Tensor w = random_fp8(4, 64, rng);
  EXPECT_THROW(w.Copy(), Error);
  const Tensor f = random_f32({4, 64}, rng);
  EXPECT_THROW(f.with_block_scales(std::make_shared<BlockScales>()), Error);
}

}  // namespace
}  // namespace seek::kernels::test
