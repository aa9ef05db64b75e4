// matmul_heads: at every level, equal to a loop of per-head matmul() calls at that level (same
// kernels, so bit for bit) and close to the scalar reference, for every weight type, decode and
// prefill row counts, and the strided per-head weight blocks of absorbed MLA's W_UV.
#include "core/error.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {
namespace {

using seek::test::all_close;
using seek::test::Tolerance;

using matmul_test::kWeightTypes;
using matmul_test::tolerance;

struct Operands {
  Tensor x_big, x;  // x: [m, H, k], a view into wider rows
  Tensor w_big, w;  // w: [H, n, k], every head a row block at offset `gap` of a (gap + n + 3)-row block
  Tensor y_big, y;  // y: [m, H, n], a view into wider rows
};

Operands make_operands(int64_t m, int64_t heads, int64_t n, int64_t k, DType wtype, std::mt19937& rng) {
  const int64_t gap = 5, head_rows = gap + n + 3;
  Operands o;
  o.x_big = random_f32({m, heads, k + 32}, rng);
  o.x = o.x_big.narrow(2, 32, k);
  o.w_big = convert_rows(random_f32({heads * head_rows, k}, rng), wtype);
  o.w = o.w_big.reshape({heads, head_rows, k}).narrow(1, gap, n);
  o.y_big = Tensor::empty(DType::kF32, {m, heads, n + 16});
  for (int64_t i = 0; i < o.y_big.numel(); ++i) o.y_big.data_as<float>()[i] = 12345.0f;
  o.y = o.y_big.narrow(2, 8, n);
  return o;
}

// y[:, h, :] for every h by separate matmul() calls, into a dense [m, H, n] tensor.
Tensor per_head(const KernelContext& ctx, const Operands& o) {
  const int64_t m = o.x.dim(0), heads = o.x.dim(1), n = o.w.dim(1);
  Tensor y = Tensor::empty(DType::kF32, {m, heads, n});
  for (int64_t h = 0; h < heads; ++h) {
    Tensor y_h = y.select(1, h);
    matmul(ctx, o.x.select(1, h), o.w.select(0, h), y_h);
  }
  return y;
}

class MatmulHeadsLevel : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(MatmulHeadsLevel, EqualsPerHeadMatmulAndReference) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(404);
  struct Shape {
    int64_t m, heads, n, k;
  };
  // Decode (GEMV) and prefill (GEMM) row counts; odd heads and n; W_UK-like (n > k) and W_UV-like.
  const Shape shapes[] = {{1, 16, 64, 32}, {1, 3, 37, 96},  {2, 5, 40, 64},
                          {7, 4, 33, 128}, {20, 3, 70, 64}, {1, 1, 48, 64}};
  for (DType wtype : kWeightTypes) {
    for (const Shape& s : shapes) {
      Operands o = make_operands(s.m, s.heads, s.n, s.k, wtype, rng);
      const KernelContext ctx = env().context(level);
      matmul_heads(ctx, o.x, o.w, o.y);
      EXPECT_EQ(env().scratch().used(), 0u);
      const std::string what = std::string(dtype_name(wtype)) + " m=" + std::to_string(s.m) +
                               " H=" + std::to_string(s.heads) + " n=" + std::to_string(s.n);
      const Tensor got = o.y.Copy();
      const Tensor same_level = per_head(ctx, o);
      EXPECT_TRUE(all_close(got.data_as<float>(), same_level.data_as<float>(), got.numel(), {.rel_l2 = 0}))
          << what << " against per-head matmul";
      const Tensor ref = per_head(env().context(KernelLevel::kScalar), o);
      EXPECT_TRUE(
          all_close(got.data_as<float>(), ref.data_as<float>(), got.numel(), tolerance(wtype, level, s.m)))
          << what << " against the reference";
      for (int64_t r = 0; r < s.m * s.heads; ++r) {
        const float* row = o.y_big.data_as<float>() + r * (s.n + 16);
        for (int64_t j = 0; j < 8; ++j) ASSERT_EQ(row[j], 12345.0f) << "wrote left of the y view";
        for (int64_t j = 8 + s.n; j < s.n + 16; ++j)
          ASSERT_EQ(row[j], 12345.0f) << "wrote right of the y view";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulHeadsLevel,
                         ::testing::Values(KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512),
                         level_param_name);

TEST(MatmulHeads, AbsorbedMlaValueProjectionView) {
  // W_UV of absorbed MLA: rows h·256 + 128 .. h·256 + 255 of kv_b_proj [H·256, 512], as a view.
  std::mt19937 rng(8);
  const int64_t heads = 4, rank = 512, nope = 128, vd = 128;
  const Tensor kv_b = convert_rows(random_f32({heads * (nope + vd), rank}, rng), DType::kBF16);
  const Tensor w_uv = kv_b.reshape({heads, nope + vd, rank}).narrow(1, nope, vd);
  const Tensor u = random_f32({2, heads, rank}, rng);
  Tensor o = Tensor::empty(DType::kF32, {2, heads, vd});
  const KernelContext ctx = env().context(best_kernel_level());
  matmul_heads(ctx, u, w_uv, o);
  for (int64_t h = 0; h < heads; ++h) {
    Tensor want = Tensor::empty(DType::kF32, {2, vd});
    matmul(env().context(KernelLevel::kScalar), u.select(1, h), kv_b.narrow(0, h * (nope + vd) + nope, vd),
           want);
    EXPECT_TRUE(all_close(o.select(1, h).Copy().data_as<float>(), want.data_as<float>(), want.numel(),
                          {.rel_l2 = 2e-5}))
        << "head " << h;
  }
}

TEST(MatmulHeads, RunsInAnArenaOfExactlyTheAdvertisedSize) {
  std::mt19937 rng(12);
  for (KernelLevel level : {KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512}) {
    if (!level_available(level)) continue;
    for (DType wtype : kWeightTypes) {
      for (int64_t m : {1, 6, 40}) {
        const KernelContext ctx = env().context(level);
        const int64_t heads = 3, n = 40, k = 96;
        Operands o = make_operands(m, heads, n, k, wtype, rng);
        expect_runs_in_exact_arena(ctx, matmul_heads_scratch_bytes(ctx, m, heads, k, wtype),
                                   [&](const KernelContext& c) { matmul_heads(c, o.x, o.w, o.y); });
      }
    }
  }
}

TEST(MatmulHeads, RejectsBadShapes) {
  const KernelContext ctx = env().context(best_kernel_level());
  Tensor x = Tensor::empty(DType::kF32, {2, 3, 64}), y = Tensor::empty(DType::kF32, {2, 3, 8});
  Tensor w = Tensor::empty(DType::kF32, {4, 8, 64});  // 4 heads, x has 3
  EXPECT_THROW(matmul_heads(ctx, x, w, y), Error);
  Tensor w2 = Tensor::empty(DType::kF32, {3, 8, 32});  // k differs
  EXPECT_THROW(matmul_heads(ctx, x, w2, y), Error);
}

}  // namespace
}  // namespace seek::kernels::test
