// Row ops (silu, swiglu, rmsnorm, softmax, rope, topk): every fast level against the reference on
// random rows with odd lengths, strided views and non-finite values; the reference against known
// values.
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {
namespace {

using seek::test::all_close;
using seek::test::Tolerance;

constexpr Tolerance kTol{.rel_l2 = 2e-6};
constexpr int64_t kLengths[] = {1, 7, 16, 33, 100, 1000};

// Sprinkles NaN, +inf and -inf into a few positions.
void add_nonfinite(Tensor& t) {
  float* p = t.data_as<float>();
  const int64_t n = t.numel();
  if (n > 3) {
    p[n / 3] = NAN;
    p[n / 2] = INFINITY;
    p[n - 1] = -INFINITY;
  }
}

class RowsLevel : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(RowsLevel, Silu) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(1);
  for (int64_t n : kLengths) {
    for (bool nonfinite : {false, true}) {
      Tensor x = random_f32({3, n}, rng, 30.0f);
      if (nonfinite) add_nonfinite(x);
      Tensor want = x.Copy(), got = x.Copy();
      silu(env().context(KernelLevel::kScalar), want);
      silu(env().context(level), got);
      EXPECT_TRUE(all_close(dense(got), dense(want), kTol)) << "n=" << n;
    }
  }
  // Long enough to be split over threads.
  Tensor big = random_f32({1, 100003}, rng, 10.0f);
  Tensor want = big.Copy(), got = big.Copy();
  silu(env().context(KernelLevel::kScalar), want);
  silu(env().context(level), got);
  EXPECT_TRUE(all_close(dense(got), dense(want), kTol));
}

TEST_P(RowsLevel, SwigluIncludingAliasAndStrides) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(2);
  for (int64_t n : kLengths) {
    // gate and up as the two halves of one [m, 2n] tensor (the fused gate_up projection layout).
    Tensor gu = random_f32({5, 2 * n}, rng, 20.0f);
    add_nonfinite(gu);
    const Tensor gate = gu.narrow(1, 0, n), up = gu.narrow(1, n, n);
    Tensor want = Tensor::empty(DType::kF32, {5, n}), got = Tensor::empty(DType::kF32, {5, n});
    swiglu(env().context(KernelLevel::kScalar), gate, up, want);
    swiglu(env().context(level), gate, up, got);
    EXPECT_TRUE(all_close(dense(got), dense(want), kTol)) << "n=" << n;
    Tensor in_place = gate.Copy();
    swiglu(env().context(level), in_place, up.Copy(), in_place);
    EXPECT_TRUE(all_close(dense(in_place), dense(want), kTol)) << "aliased out, n=" << n;
  }
}

TEST_P(RowsLevel, Rmsnorm) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(3);
  for (int64_t d : kLengths) {
    const Tensor x_big = random_f32({4, d + 8}, rng, 5.0f);
    const Tensor x = x_big.narrow(1, 8, d);
    const Tensor w = random_f32({d}, rng);
    Tensor want = Tensor::empty(DType::kF32, {4, d}), got = Tensor::empty(DType::kF32, {4, d});
    rmsnorm(env().context(KernelLevel::kScalar), x, w, 1e-6f, want);
    rmsnorm(env().context(level), x, w, 1e-6f, got);
    EXPECT_TRUE(all_close(dense(got), dense(want), kTol)) << "d=" << d;
    Tensor in_place = x.Copy();
    rmsnorm(env().context(level), in_place, w, 1e-6f, in_place);
    EXPECT_TRUE(all_close(dense(in_place), dense(want), kTol)) << "in place, d=" << d;
  }
  Tensor x = random_f32({2, 64}, rng);
  x.data_as<float>()[3] = NAN;
  Tensor got = Tensor::empty(DType::kF32, {2, 64});
  rmsnorm(env().context(level), x, random_f32({64}, rng), 1e-6f, got);
  for (int64_t i = 0; i < 64; ++i) EXPECT_TRUE(std::isnan(got.data_as<float>()[i])) << "NaN poisons its row";
  EXPECT_FALSE(std::isnan(got.data_as<float>()[64]));
}

TEST_P(RowsLevel, Softmax) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(4);
  for (int64_t n : kLengths) {
    Tensor x = random_f32({6, n}, rng, 40.0f);
    float* p = x.data_as<float>();
    for (int64_t i = 0; i < n; ++i) p[1 * n + i] = -INFINITY;      // fully masked row
    for (int64_t i = n / 2; i < n; ++i) p[2 * n + i] = -INFINITY;  // causal-style mask
    p[3 * n + n / 2] = NAN;                                        // NaN poisons the row
    p[4 * n] = INFINITY;                                           // +inf: NaN row too
    Tensor want = x.Copy(), got = x.Copy();
    softmax(env().context(KernelLevel::kScalar), want, 0.125f);
    softmax(env().context(level), got, 0.125f);
    EXPECT_TRUE(all_close(dense(got), dense(want), kTol)) << "n=" << n;
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(got.data_as<float>()[n + i], 0.0f);
  }
}

TEST_P(RowsLevel, RopeBothStylesOnStridedHeads) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(5);
  for (RopeStyle style : {RopeStyle::kInterleaved, RopeStyle::kHalf}) {
    for (int64_t num_freqs : {1, 3, 8, 13, 32}) {
      const int64_t n_tokens = 5, n_heads = 3, head_dim = 2 * num_freqs + 6;
      // The rotary part of each head is a view: the last 2·num_freqs + 6 of a 40-wider head.
      Tensor big = random_f32({n_tokens, n_heads, head_dim + 40}, rng);
      Tensor positions = Tensor::empty(DType::kI32, {n_tokens});
      for (int64_t t = 0; t < n_tokens; ++t)
        positions.data_as<int32_t>()[t] = static_cast<int32_t>(t * 977 + 3);
      Tensor freqs = Tensor::empty(DType::kF32, {num_freqs});
      for (int64_t i = 0; i < num_freqs; ++i)
        freqs.data_as<float>()[i] = std::pow(10000.0f, -2.0f * static_cast<float>(i) / (2.0f * num_freqs));
      const RopeParams params{style, 1.3f};
      Tensor want_big = big.Copy(), got_big = big.Copy();
      Tensor want = want_big.narrow(2, 40, head_dim), got = got_big.narrow(2, 40, head_dim);
      rope(env().context(KernelLevel::kScalar), want, positions, freqs, params);
      rope(env().context(level), got, positions, freqs, params);
      const std::vector<float> g(got_big.data_as<float>(), got_big.data_as<float>() + got_big.numel());
      const std::vector<float> w(want_big.data_as<float>(), want_big.data_as<float>() + want_big.numel());
      EXPECT_TRUE(all_close(g, w, kTol)) << "num_freqs=" << num_freqs;
    }
  }
}

// Indices and values of topk at `level` equal the reference's exactly.
void check_topk(KernelLevel level, const Tensor& x, int k) {
  const int64_t m = x.dim(0);
  Tensor idx_ref = Tensor::empty(DType::kI32, {m, k}), idx = Tensor::empty(DType::kI32, {m, k});
  Tensor val_ref = Tensor::empty(DType::kF32, {m, k}), val = Tensor::empty(DType::kF32, {m, k});
  topk(env().context(KernelLevel::kScalar), x, k, idx_ref, &val_ref);
  topk(env().context(level), x, k, idx, &val);
  for (int64_t i = 0; i < m * k; ++i) {
    ASSERT_EQ(idx.data_as<int32_t>()[i], idx_ref.data_as<int32_t>()[i]) << "k=" << k << " at " << i;
  }
  EXPECT_TRUE(all_close(dense(val), dense(val_ref), {.rel_l2 = 0}));
}

TEST_P(RowsLevel, TopkWithTiesAndNan) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(6);
  for (int64_t n : {1, 7, 33, 300}) {
    Tensor x = random_f32({4, n}, rng);
    float* p = x.data_as<float>();
    for (int64_t i = 0; i < n; ++i) p[n + i] = std::round(p[n + i] * 3.0f);  // many ties
    for (int64_t i = 0; i < n; i += 3) p[2 * n + i] = NAN;                   // NaNs early and late
    for (int64_t i = 0; i < n; ++i) p[3 * n + i] = NAN;                      // all NaN
    for (int k : {1, 5, 40, 300}) {
      if (k <= n) check_topk(level, x, k);
    }
  }
  Tensor vocab = random_f32({1, 50000}, rng);  // sampling-sized row, heap path
  check_topk(level, vocab, 64);
  check_topk(level, vocab, 8);
}

INSTANTIATE_TEST_SUITE_P(Levels, RowsLevel, ::testing::ValuesIn(fast_levels()), level_param_name);

// ---- the reference against direct math ----

TEST(RowsReference, SiluKnownValues) {
  Tensor x = Tensor::empty(DType::kF32, {4});
  const float v[] = {0.0f, 1.0f, -1.0f, 50.0f};
  std::copy(v, v + 4, x.data_as<float>());
  silu(env().context(KernelLevel::kScalar), x);
  const std::vector<float> want = {0.0f, 1.0f / (1.0f + std::exp(-1.0f)), -1.0f / (1.0f + std::exp(1.0f)),
                                   50.0f};
  EXPECT_TRUE(all_close(dense(x), want, {.rel_l2 = 1e-7}));
}

TEST(RowsReference, RmsnormKnownValues) {
  Tensor x = Tensor::empty(DType::kF32, {2}), w = Tensor::empty(DType::kF32, {2});
  x.data_as<float>()[0] = 3.0f;
  x.data_as<float>()[1] = 4.0f;
  w.data_as<float>()[0] = 1.0f;
  w.data_as<float>()[1] = 2.0f;
  Tensor y = Tensor::empty(DType::kF32, {2});
  rmsnorm(env().context(KernelLevel::kScalar), x, w, 0.0f, y);
  const float rms = std::sqrt(12.5f);
  EXPECT_TRUE(all_close(dense(y), std::vector<float>{3.0f / rms, 8.0f / rms}, {.rel_l2 = 1e-7}));
}

TEST(RowsReference, SoftmaxSumsToOneAndHonoursScale) {
  Tensor x = Tensor::empty(DType::kF32, {2, 2});
  float* p = x.data_as<float>();
  p[0] = 0.0f;
  p[1] = std::log(2.0f) / 2.0f;  // scale 2 makes this log 2
  p[2] = -INFINITY;
  p[3] = -INFINITY;
  softmax(env().context(KernelLevel::kScalar), x, 2.0f);
  EXPECT_TRUE(
      all_close(dense(x), std::vector<float>{1.0f / 3.0f, 2.0f / 3.0f, 0.0f, 0.0f}, {.rel_l2 = 1e-6}));
  std::mt19937 rng(8);
  Tensor r = random_f32({3, 77}, rng, 10.0f);
  softmax(env().context(KernelLevel::kScalar), r, 1.0f);
  for (int64_t i = 0; i < 3; ++i) {
    const float* row = r.data_as<float>() + i * 77;
    EXPECT_NEAR(std::accumulate(row, row + 77, 0.0), 1.0, 1e-6);
  }
}

TEST(RowsReference, RopeInterleavedAndHalfOnAHandExample) {
  // One token at position 1, head_dim 4, frequencies (π/2, 0): the first pair turns a quarter
  // circle, the second stays. Interleaved pairs are (x0, x1), (x2, x3); half pairs (x0, x2), (x1, x3).
  Tensor positions = Tensor::empty(DType::kI32, {1});
  positions.data_as<int32_t>()[0] = 1;
  Tensor freqs = Tensor::empty(DType::kF32, {2});
  freqs.data_as<float>()[0] = static_cast<float>(M_PI / 2);
  freqs.data_as<float>()[1] = 0.0f;
  const float in[] = {1.0f, 2.0f, 3.0f, 4.0f};
  Tensor a = Tensor::empty(DType::kF32, {1, 1, 4}), b = Tensor::empty(DType::kF32, {1, 1, 4});
  std::copy(in, in + 4, a.data_as<float>());
  std::copy(in, in + 4, b.data_as<float>());
  rope(env().context(KernelLevel::kScalar), a, positions, freqs, {RopeStyle::kInterleaved, 1.0f});
  rope(env().context(KernelLevel::kScalar), b, positions, freqs, {RopeStyle::kHalf, 2.0f});
  // (1, 2) by 90° -> (-2, 1); (3, 4) unchanged.
  EXPECT_TRUE(all_close(dense(a), std::vector<float>{-2.0f, 1.0f, 3.0f, 4.0f}, {.max_abs = 1e-6}));
  // (1, 3) by 90° -> (-3, 1); (2, 4) unchanged; attn_factor 2 scales everything.
  EXPECT_TRUE(all_close(dense(b), std::vector<float>{-6.0f, 4.0f, 2.0f, 8.0f}, {.max_abs = 2e-6}));
}

TEST(RowsReference, TopkTiesGoToLowerIndexAndNanIsSmallest) {
  Tensor x = Tensor::empty(DType::kF32, {1, 6});
  const float v[] = {1.0f, 3.0f, 3.0f, 2.0f, NAN, 3.0f};
  std::copy(v, v + 6, x.data_as<float>());
  Tensor idx = Tensor::empty(DType::kI32, {1, 6}), val = Tensor::empty(DType::kF32, {1, 6});
  topk(env().context(KernelLevel::kScalar), x, 6, idx, &val);
  const int32_t want[] = {1, 2, 5, 3, 0, 4};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(idx.data_as<int32_t>()[i], want[i]) << i;
  EXPECT_TRUE(std::isnan(val.data_as<float>()[5]));
  Tensor idx3 = Tensor::empty(DType::kI32, {1, 3});
  topk(env().context(KernelLevel::kScalar), x, 3, idx3, nullptr);
  EXPECT_EQ(idx3.data_as<int32_t>()[2], 5);
}

TEST(Rows, RejectBadOperands) {
  Tensor x = Tensor::empty(DType::kF32, {2, 8});
  Tensor idx = Tensor::empty(DType::kI32, {2, 9});
  EXPECT_THROW(topk(env().context(KernelLevel::kScalar), x, 9, idx, nullptr), Error);
  Tensor w = Tensor::empty(DType::kF32, {7});
  EXPECT_THROW(rmsnorm(env().context(KernelLevel::kScalar), x, w, 1e-6f, x), Error);
}

}  // namespace
}  // namespace seek::kernels::test
