// matmul_heads_nn: weights stored input-major ([H, k, n], as absorbed MLA reads W_UK from kv_b_proj's
// rows). The reference equals direct double math on the exactly dequantised weights, for every weight
// type (FP8 with block scales found by address included); every level matches the reference on decode
// and prefill row counts, on per-head row-block views of a larger matrix, without writing outside y.
#include <utility>

#include "core/error.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {
namespace {

using seek::test::all_close;

constexpr DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16,
                            DType::kQ8_0, DType::kQ4_0, DType::kF8E4M3};

// A [rows, cols] weight of `wtype`; FP8 gets random block scales on a grid of `block` (rows, cols).
Tensor random_weight(int64_t rows, int64_t cols, DType wtype, std::mt19937& rng,
                     std::pair<int64_t, int64_t> block = {128, 128}) {
  if (wtype == DType::kF8E4M3) return random_fp8(rows, cols, rng, block.first, block.second);
  return convert_rows(random_f32({rows, cols}, rng), wtype);
}

struct Operands {
  Tensor x_big, x;  // x: [m, H, k], a view into wider rows
  Tensor w_big, w;  // w: [H, k, n]: head h is rows gap .. gap + k - 1 of a (gap + k + vd)-row block
  Tensor y_big, y;  // y: [m, H, n], a view into wider rows (guard values either side)
};

// Like kv_b_proj [H · (gap + k + vd), n] and its per-head W_UK view.
Operands make_operands(int64_t m, int64_t heads, int64_t n, int64_t k, DType wtype, std::mt19937& rng,
                       int64_t gap = 0, int64_t vd = 40, std::pair<int64_t, int64_t> fp8_block = {128, 128}) {
  const int64_t head_rows = gap + k + vd;
  Operands o;
  o.x_big = random_f32({m, heads, k + 16}, rng);
  o.x = o.x_big.narrow(2, 16, k);
  o.w_big = random_weight(heads * head_rows, n, wtype, rng, fp8_block);
  o.w = o.w_big.reshape({heads, head_rows, n}).narrow(1, gap, k);
  o.y_big = Tensor::empty(DType::kF32, {m, heads, n + 16});
  for (int64_t i = 0; i < o.y_big.numel(); ++i) o.y_big.data_as<float>()[i] = 12345.0f;
  o.y = o.y_big.narrow(2, 8, n);
  return o;
}

// y[i, h, :] = x[i, h, :] · dequant(w[h]) in double, from the weights widened by to_f32().
Tensor direct(const Operands& o) {
  const int64_t m = o.x.dim(0), heads = o.x.dim(1), k = o.x.dim(2), n = o.w.dim(2);
  const Tensor wide = o.w_big.to_f32();  // [H · head_rows, n]
  const int64_t head_rows = wide.dim(0) / heads;
  const int64_t gap =
      (static_cast<const uint8_t*>(o.w.data()) - static_cast<const uint8_t*>(o.w_big.data())) /
      o.w_big.stride_bytes(0);
  Tensor y = Tensor::empty(DType::kF32, {m, heads, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t t = 0; t < k; ++t) {
          const float xv = o.x.select(0, i).select(0, h).data_as<float>()[t];
          acc += static_cast<double>(xv) * wide.data_as<float>()[(h * head_rows + gap + t) * n + j];
        }
        y.data_as<float>()[(i * heads + h) * n + j] = static_cast<float>(acc);
      }
  return y;
}

Tensor run(KernelLevel level, Operands& o) {
  matmul_heads_nn(env().context(level), o.x, o.w, o.y);
  EXPECT_EQ(env().scratch().used(), 0u) << "matmul_heads_nn must release its scratch";
  return o.y.Copy();
}

TEST(MatmulHeadsNn, ReferenceIsDirectMathOnDequantisedWeights) {
  std::mt19937 rng(31);
  for (DType wtype : kTypes) {
    Operands o = make_operands(3, 4, 64, 96, wtype, rng, /*gap=*/5);
    const Tensor got = run(KernelLevel::kScalar, o);
    const Tensor want = direct(o);
    EXPECT_TRUE(all_close(got.data_as<float>(), want.data_as<float>(), got.numel(), {.rel_l2 = 1e-7}))
        << dtype_name(wtype);
  }
}

class MatmulHeadsNnLevel : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(MatmulHeadsNnLevel, MatchesReference) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(505);
  struct Shape {
    int64_t m, heads, n, k, gap;
  };
  // Decode and prefill rows (1-6 accumulate rows in registers, more take the GEMM); absorbed MLA's
  // W_UK (n = rank 512, k = nope 128) and smaller heads, k not a whole number of 16-row chunks; views
  // whose head blocks straddle FP8's 128-row scale blocks (gap 5, k 96 + vd 40).
  const Shape shapes[] = {{1, 16, 512, 128, 0}, {1, 3, 64, 96, 5},  {2, 5, 96, 32, 3},  {5, 2, 64, 40, 2},
                          {7, 4, 160, 64, 0},   {20, 3, 64, 96, 5}, {33, 2, 32, 128, 1}};
  for (DType wtype : kTypes) {
    for (const Shape& s : shapes) {
      Operands o = make_operands(s.m, s.heads, s.n, s.k, wtype, rng, s.gap);
      const std::string what = std::string(dtype_name(wtype)) + " m=" + std::to_string(s.m) +
                               " H=" + std::to_string(s.heads) + " n=" + std::to_string(s.n) +
                               " k=" + std::to_string(s.k);
      const Tensor got = run(level, o);
      for (int64_t r = 0; r < s.m * s.heads; ++r) {
        const float* row = o.y_big.data_as<float>() + r * (s.n + 16);
        for (int64_t j = 0; j < 8; ++j) ASSERT_EQ(row[j], 12345.0f) << what << ": wrote left of the y view";
        for (int64_t j = 8 + s.n; j < s.n + 16; ++j)
          ASSERT_EQ(row[j], 12345.0f) << what << ": wrote right of y";
      }
      const Tensor want = run(KernelLevel::kScalar, o);
      EXPECT_TRUE(all_close(got.data_as<float>(), want.data_as<float>(), got.numel(), {.rel_l2 = 2e-6}))
          << what;
    }
  }
}

// K-quant weights (a q2_K .. q6_K kv_b_proj): blocks of 256 along n, so n = rank 512 or 256; and
// q4_1/q5_0/q5_1, packed value by value like them.
TEST_P(MatmulHeadsNnLevel, KQuantWeights) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(606);
  for (DType wtype : matmul_test::kGroupedQuantTypes) {
    for (const int64_t m : {1, 3, 20}) {
      Operands o = make_operands(m, 4, m == 1 ? 512 : 256, 64, wtype, rng, /*gap=*/3);
      const Tensor got = run(level, o);
      const Tensor want = run(KernelLevel::kScalar, o);
      EXPECT_TRUE(all_close(got.data_as<float>(), want.data_as<float>(), got.numel(), {.rel_l2 = 2e-6}))
          << dtype_name(wtype) << " m=" << m;
      EXPECT_TRUE(all_close(want.data_as<float>(), direct(o).data_as<float>(), got.numel(), {.rel_l2 = 1e-6}))
          << dtype_name(wtype) << " reference vs direct math, m=" << m;
    }
  }
}

TEST_P(MatmulHeadsNnLevel, FloatWeightsTakeAnyWidth) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(7);
  for (DType wtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (int64_t n : {1, 13, 40}) {
      Operands o = make_operands(2, 3, n, 24, wtype, rng, 2);
      const Tensor got = run(level, o);
      const Tensor want = direct(o);
      EXPECT_TRUE(all_close(got.data_as<float>(), want.data_as<float>(), got.numel(), {.rel_l2 = 2e-6}))
          << dtype_name(wtype) << " n=" << n;
    }
  }
}

TEST_P(MatmulHeadsNnLevel, Fp8ScaleBlocksOfAnyShape) {
  // Scale blocks 96 rows by 48 columns: 32-column runs straddle them, and rows are not a power of two.
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(77);
  for (int64_t m : {1, 3, 9}) {
    Operands o = make_operands(m, 3, 96, 64, DType::kF8E4M3, rng, 7, 40, {96, 48});
    const Tensor got = run(level, o);
    const Tensor want = direct(o);
    EXPECT_TRUE(all_close(got.data_as<float>(), want.data_as<float>(), got.numel(), {.rel_l2 = 2e-6}))
        << "m=" << m;
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulHeadsNnLevel,
                         ::testing::Values(KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512),
                         level_param_name);

TEST(MatmulHeadsNn, RunsInAnArenaOfExactlyTheAdvertisedSize) {
  std::mt19937 rng(12);
  for (KernelLevel level : {KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512}) {
    if (!level_available(level)) continue;
    for (DType wtype : kTypes) {
      for (int64_t m : {1, 6, 40}) {
        const KernelContext ctx = env().context(level);
        const int64_t heads = 3, n = 64, k = 96;
        Operands o = make_operands(m, heads, n, k, wtype, rng);
        expect_runs_in_exact_arena(ctx, matmul_heads_nn_scratch_bytes(ctx, m, heads, k, wtype),
                                   [&](const KernelContext& c) { matmul_heads_nn(c, o.x, o.w, o.y); });
      }
    }
  }
}

TEST(MatmulHeadsNn, RejectsBadShapes) {
  const KernelContext ctx = env().context(best_kernel_level());
  Tensor x = Tensor::empty(DType::kF32, {2, 3, 64}), y = Tensor::empty(DType::kF32, {2, 3, 32});
  Tensor w_heads = Tensor::empty(DType::kF32, {4, 64, 32});  // 4 heads, x has 3
  EXPECT_THROW(matmul_heads_nn(ctx, x, w_heads, y), Error);
  Tensor w_k = Tensor::empty(DType::kF32, {3, 32, 32});  // k differs
  EXPECT_THROW(matmul_heads_nn(ctx, x, w_k, y), Error);
  Tensor w_t = Tensor::empty(DType::kQ8_0, {3, 32, 64});  // matmul_heads' layout [H, n, k]
  EXPECT_THROW(matmul_heads_nn(ctx, x, w_t, y), Error);
}

}  // namespace
}  // namespace seek::kernels::test
