// matmul: every fast level against the scalar reference, for every weight dtype, on the decode and
// prefill paths, odd shapes, strided views, and NaN/Inf placement; plus the reference against
// direct math.
#include <cmath>

#include "core/error.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {
namespace {

using seek::test::all_close;
using seek::test::Tolerance;

using matmul_test::kWeightTypes;
using matmul_test::tolerance;

struct Case {
  int64_t m, n, k;
};

// y = x · wᵀ at `level` and at the reference, compared.
void check_matmul(KernelLevel level, DType wtype, const Tensor& x, const Tensor& w, const std::string& what) {
  const int64_t m = x.dim(0), n = w.dim(0);
  Tensor y_ref = Tensor::empty(DType::kF32, {m, n});
  Tensor y = Tensor::empty(DType::kF32, {m, n});
  matmul(env().context(KernelLevel::kScalar), x, w, y_ref);
  matmul(env().context(level), x, w, y);
  EXPECT_EQ(env().scratch().used(), 0u) << "matmul must release its scratch";
  EXPECT_TRUE(all_close(dense(y), dense(y_ref), tolerance(wtype, level, m)))
      << what << " " << dtype_name(wtype) << " m=" << m << " n=" << n << " k=" << x.dim(1);
}

class MatmulLevel : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(MatmulLevel, MatchesReferenceAllShapes) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(1234);
  const Case cases[] = {{1, 37, 96},  {2, 45, 160},   {3, 19, 224},  {4, 33, 352},  {5, 29, 96},
                        {6, 40, 224}, {7, 33, 96},    {8, 17, 160},  {9, 101, 288}, {16, 37, 352},
                        {33, 67, 96}, {33, 67, 1184}, {1, 20, 1184}, {70, 3, 64},
                        // batched decode over several k chunks of the multi-row quantised GEMV
                        {8, 45, 1184}, {5, 70, 2080},
                        // whole groups of eight blocks only (q4_0 block pairs, no odd or tail block)
                        {1, 19, 256}, {2, 21, 256}, {3, 19, 512}, {8, 11, 512},
                        // 2-3 rows over whole groups and a last short one (q4_0's row tiles; V2-Lite's
                        // experts are 1,408 values: 5 groups and 4 blocks), alone and after four lanes
                        {2, 13, 1408}, {3, 11, 1184}, {6, 9, 1408},
                        // quantised: two 64-row groups of x over several weight blocks (lanes), then
                        // the row counts from which q8_0 (128) and q4_0 (1024) take the GEMM
                        {70, 130, 2048}, {130, 7, 96}, {1030, 5, 64}};
  for (DType wtype : kWeightTypes) {
    for (const Case& c : cases) {
      const Tensor x = random_f32({c.m, c.k}, rng);
      const Tensor w = convert_rows(random_f32({c.n, c.k}, rng), wtype);
      check_matmul(level, wtype, x, w, "dense");
    }
  }
}

TEST_P(MatmulLevel, OddKForFloatWeights) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(99);
  for (DType wtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (int64_t m : {1, 2, 3, 7, 16, 33}) {
      for (int64_t k : {1, 13, 37, 301}) {
        const Tensor x = random_f32({m, k}, rng);
        const Tensor w = convert_rows(random_f32({29, k}, rng), wtype);
        check_matmul(level, wtype, x, w, "odd k");
      }
    }
  }
}

TEST_P(MatmulLevel, StridedViews) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(7);
  for (DType wtype : kWeightTypes) {
    for (int64_t m : {1, 3, 33}) {
      const int64_t n = 41, k = 160;
      // x: columns [32, 32 + k) of a wider tensor, so rows are strided.
      const Tensor x_big = random_f32({m, k + 64}, rng);
      const Tensor x = x_big.narrow(1, 32, k);
      // w: rows [3, 3 + n) and blocks [1, 1 + k/32) of a bigger weight matrix.
      const Tensor w_big = convert_rows(random_f32({n + 5, k + 96}, rng), wtype);
      const Tensor w = w_big.narrow(0, 3, n).narrow(1, 32, k);
      // y: columns [16, 16 + n) of a wider output; the rest must stay untouched.
      Tensor y_big = Tensor::empty(DType::kF32, {m, n + 32});
      for (int64_t i = 0; i < y_big.numel(); ++i) y_big.data_as<float>()[i] = 12345.0f;
      Tensor y = y_big.narrow(1, 16, n);
      Tensor y_ref = Tensor::empty(DType::kF32, {m, n});
      matmul(env().context(KernelLevel::kScalar), x.Copy(), w.Copy(), y_ref);
      matmul(env().context(level), x, w, y);
      EXPECT_TRUE(all_close(dense(y), dense(y_ref), tolerance(wtype, level, m)))
          << dtype_name(wtype) << " m=" << m;
      for (int64_t i = 0; i < m; ++i) {
        const float* row = reinterpret_cast<const float*>(y_big.row(i));
        for (int64_t j = 0; j < 16; ++j) ASSERT_EQ(row[j], 12345.0f) << "wrote left of the y view";
        for (int64_t j = 16 + n; j < n + 32; ++j) ASSERT_EQ(row[j], 12345.0f) << "wrote right of the y view";
      }
    }
  }
}

TEST_P(MatmulLevel, NanAndInfPropagateForFloatWeights) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(5);
  for (DType wtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (int64_t m : {1, 3, 33}) {
      const int64_t n = 37, k = 70;
      Tensor x = random_f32({m, k}, rng);
      Tensor w32 = random_f32({n, k}, rng);
      x.data_as<float>()[0 * k + 5] = NAN;
      if (m > 1) x.data_as<float>()[(m - 1) * k + 9] = INFINITY;
      w32.data_as<float>()[3 * k + 11] = NAN;
      const Tensor w = convert_rows(w32, wtype);
      Tensor y = Tensor::empty(DType::kF32, {m, n});
      matmul(env().context(level), x, w, y);
      for (int64_t j = 0; j < n; ++j)
        EXPECT_TRUE(std::isnan(y.data_as<float>()[j])) << "row 0 has a NaN input";
      for (int64_t i = 0; i < m; ++i)
        EXPECT_TRUE(std::isnan(y.data_as<float>()[i * n + 3])) << "weight row 3 has a NaN";
      check_matmul(level, wtype, x, w, "nan/inf");
    }
  }
}

TEST_P(MatmulLevel, ZeroBlocksAndExtremeScales) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(11);
  for (DType wtype : {DType::kQ8_0, DType::kQ4_0}) {
    const int64_t m = 5, n = 23, k = 128;
    Tensor x = random_f32({m, k}, rng, 1000.0f);
    for (int64_t t = 32; t < 64; ++t) x.data_as<float>()[t] = 0.0f;  // an all-zero block: scale 0
    Tensor w32 = random_f32({n, k}, rng, 1e-3f);
    for (int64_t t = 0; t < 32; ++t) w32.data_as<float>()[2 * k + t] = 0.0f;
    check_matmul(level, wtype, x, convert_rows(w32, wtype), "extreme");
  }
}

// Every weight and every quantised x at the largest magnitude, so the kernels' integer sums (int16
// partial sums before widening included) reach their bounds: q4_0 nibbles all 15 (w = 7) or all 0
// (w = -8), q8_0 values ±127, x rows of ±1 (quantised to ±127 with the f16 scale nearest 1/127).
// y = ±w · k · 127 · that scale, up to float rounding; a wrapped int16 sum would be far off.
TEST_P(MatmulLevel, LargestIntegerSumsStayExact) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  const int64_t n = 6, k = 256 + 96;  // whole groups of eight blocks and a partial one
  for (DType wtype : {DType::kQ8_0, DType::kQ4_0}) {
    Tensor w = Tensor::empty(wtype, {n, k});
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t b = 0; b < k / 32; ++b) {
        const bool high = j % 2 == 0;
        if (wtype == DType::kQ4_0) {
          BlockQ4_0& blk = reinterpret_cast<BlockQ4_0*>(w.row(j))[b];
          blk.d = f32_to_f16(1.0f);
          for (uint8_t& q : blk.qs) q = high ? 0xFF : 0x00;
        } else {
          BlockQ8_0& blk = reinterpret_cast<BlockQ8_0*>(w.row(j))[b];
          blk.d = f32_to_f16(1.0f);
          for (int8_t& q : blk.qs) q = high ? 127 : -127;
        }
      }
    }
    const float w_value = wtype == DType::kQ4_0 ? 7.0f : 127.0f, w_low = wtype == DType::kQ4_0 ? -8.0f : -127.0f;
    for (int64_t m : {1, 2, 3, 4, 8, 9}) {
      Tensor x = Tensor::empty(DType::kF32, {m, k});
      for (int64_t i = 0; i < m; ++i)
        for (int64_t t = 0; t < k; ++t) x.data_as<float>()[i * k + t] = i % 2 == 0 ? 1.0f : -1.0f;
      Tensor y = Tensor::empty(DType::kF32, {m, n});
      matmul(env().context(level), x, w, y);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const double want = (i % 2 == 0 ? 1.0 : -1.0) * (j % 2 == 0 ? w_value : w_low) * static_cast<double>(k) *
                              127.0 * f16_to_f32(f32_to_f16(1.0f / 127.0f));
          EXPECT_NEAR(y.data_as<float>()[i * n + j], want, 1e-6 * std::abs(want))
              << dtype_name(wtype) << " m=" << m << " " << i << "," << j;
        }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulLevel, ::testing::ValuesIn(fast_levels()), level_param_name);

TEST(MatmulReference, SmallKnownProduct) {
  Tensor x = Tensor::empty(DType::kF32, {2, 3});
  Tensor w = Tensor::empty(DType::kF32, {2, 3});
  const float xv[] = {1, 2, 3, 4, 5, 6}, wv[] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
  std::copy(xv, xv + 6, x.data_as<float>());
  std::copy(wv, wv + 6, w.data_as<float>());
  Tensor y = Tensor::empty(DType::kF32, {2, 2});
  matmul(env().context(KernelLevel::kScalar), x, w, y);
  const std::vector<float> want = {-2, 3, -2, 7.5f};
  EXPECT_TRUE(all_close(dense(y), want, {.rel_l2 = 0}));
}

TEST(MatmulReference, QuantisedCloseToDequantised) {
  // The q8_0 activation rounding costs ~1/127 relative per element; the product stays close to the
  // f32 product with dequantised weights.
  std::mt19937 rng(3);
  for (DType wtype : {DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ2_K,
                      DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kIQ4_NL,
                      DType::kIQ4_XS}) {
    const Tensor x = random_f32({4, 256}, rng);
    const Tensor w = convert_rows(random_f32({16, 256}, rng), wtype);
    Tensor y = Tensor::empty(DType::kF32, {4, 16}), y32 = Tensor::empty(DType::kF32, {4, 16});
    matmul(env().context(KernelLevel::kScalar), x, w, y);
    matmul(env().context(KernelLevel::kScalar), x, w.to_f32(), y32);
    EXPECT_TRUE(all_close(dense(y), dense(y32), {.rel_l2 = 1e-2})) << dtype_name(wtype);
  }
}

TEST(Matmul, RejectsBadShapes) {
  Tensor x = Tensor::empty(DType::kF32, {2, 64});
  Tensor w = Tensor::empty(DType::kQ4_0, {3, 96});
  Tensor y = Tensor::empty(DType::kF32, {2, 3});
  EXPECT_THROW(matmul(env().context(best_kernel_level()), x, w, y), Error);
}

TEST(Matmul, RunsInAnArenaOfExactlyTheAdvertisedSize) {
  std::mt19937 rng(21);
  for (KernelLevel level : {KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512}) {
    if (!level_available(level)) continue;
    for (DType wtype : kWeightTypes) {
      for (int64_t m : {1, 3, 8, 40}) {
        const KernelContext ctx = env().context(level);
        const int64_t k = 320, n = 50;
        const Tensor x = random_f32({m, k}, rng);
        const Tensor w = convert_rows(random_f32({n, k}, rng), wtype);
        Tensor y = Tensor::empty(DType::kF32, {m, n});
        expect_runs_in_exact_arena(ctx, matmul_scratch_bytes(ctx, m, k, wtype),
                                   [&](const KernelContext& c) { matmul(c, x, w, y); });
      }
    }
  }
}

TEST(Matmul, ScratchBoundCoversEveryLevel) {
  for (KernelLevel level : {KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512}) {
    if (!level_available(level)) continue;
    const KernelContext ctx = env().context(level);
    for (DType wtype : kWeightTypes) {
      EXPECT_LT(matmul_scratch_bytes(ctx, 512, 2048, wtype), size_t{64} << 20) << dtype_name(wtype);
    }
  }
}

}  // namespace
}  // namespace seek::kernels::test
