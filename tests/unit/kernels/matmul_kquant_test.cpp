// K-quant weights (q4_K, q5_K, q6_K): blocks laid out by hand from ggml's format description dequantise
// to d·sc·q - dmin·m (q6_K: d·sc·(q - 32)) value by value; the quantisers' round-trip error is small and
// ordered by bits; every fast level's product matches the reference (decode, batched and prefill rows,
// several super-blocks, row views); the reference against the f32 product is in matmul_test.cpp.
#include <cmath>
#include <cstring>

#include "core/quant_k.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {
namespace {

using seek::test::all_close;

constexpr DType kKTypes[] = {DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

// Scales, mins and levels chosen so that every position differs: a misplaced nibble, bit or scale
// changes some value.
int level_of(int i, int bits) { return (i * 7 + i / 32 * 3 + 5) % (1 << bits); }
int sc_of(int s) { return (s * 11 + 9) % 64; }  // exercises the top two bits of sub-blocks 4-7
int m_of(int s) { return (s * 23 + 40) % 64; }

// The 12 scale bytes of a q4_K/q5_K block, packed from the layout description (not from seek's code).
void pack_scales(uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>((sc_of(j) & 63) | ((sc_of(j + 4) >> 4) << 6));
    out[j + 4] = static_cast<uint8_t>((m_of(j) & 63) | ((m_of(j + 4) >> 4) << 6));
    out[j + 8] = static_cast<uint8_t>((sc_of(j + 4) & 15) | ((m_of(j + 4) & 15) << 4));
  }
}

TEST(KQuant, Q4KValuesFollowTheLayout) {
  BlockQ4_K b{};
  b.d = f32_to_f16(0.25f);
  b.dmin = f32_to_f16(0.125f);
  pack_scales(b.scales);
  for (int i = 0; i < 256; ++i)  // byte l of run c: value 64c + l low, 64c + 32 + l high
    b.qs[(i / 64) * 32 + i % 32] |= static_cast<uint8_t>(level_of(i, 4) << ((i % 64) < 32 ? 0 : 4));
  float y[256];
  dequantize_row(DType::kQ4_K, &b, y, 256);
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(y[i], 0.25f * sc_of(i / 32) * level_of(i, 4) - 0.125f * m_of(i / 32)) << "value " << i;
}

TEST(KQuant, Q5KValuesFollowTheLayout) {
  BlockQ5_K b{};
  b.d = f32_to_f16(0.5f);
  b.dmin = f32_to_f16(0.0625f);
  pack_scales(b.scales);
  for (int i = 0; i < 256; ++i) {
    const int q = level_of(i, 5);
    b.qs[(i / 64) * 32 + i % 32] |= static_cast<uint8_t>((q & 15) << ((i % 64) < 32 ? 0 : 4));
    b.qh[i % 32] |= static_cast<uint8_t>((q >> 4) << (i / 32));  // bit s of qh[l]: sub-block s
  }
  float y[256];
  dequantize_row(DType::kQ5_K, &b, y, 256);
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(y[i], 0.5f * sc_of(i / 32) * level_of(i, 5) - 0.0625f * m_of(i / 32)) << "value " << i;
}

TEST(KQuant, Q6KValuesFollowTheLayout) {
  BlockQ6_K b{};
  b.d = f32_to_f16(0.125f);
  for (int g = 0; g < 16; ++g) b.scales[g] = static_cast<int8_t>(g * 17 - 128);
  for (int i = 0; i < 256; ++i) {
    // Half h = i / 128; within it value 32u + l: low nibble in ql[64h + l + 32(u & 1)] (low for u < 2),
    // top two bits at qh[32h + l] >> 2u.
    const int q = level_of(i, 6), h = i / 128, u = (i % 128) / 32, l = i % 32;
    b.ql[64 * h + l + 32 * (u & 1)] |= static_cast<uint8_t>((q & 15) << (u < 2 ? 0 : 4));
    b.qh[32 * h + l] |= static_cast<uint8_t>((q >> 4) << (2 * u));
  }
  float y[256];
  dequantize_row(DType::kQ6_K, &b, y, 256);
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(y[i], 0.125f * static_cast<float>(b.scales[i / 16]) * (level_of(i, 6) - 32)) << "value " << i;
}

// Relative RMS error of a quantise -> dequantise round trip over `rows` rows of 1,024 values.
double round_trip_error(DType type, float offset, std::mt19937& rng) {
  std::normal_distribution<float> dist(offset, 1.0f);
  std::vector<float> x(8 * 1024), y(x.size());
  for (float& v : x) v = dist(rng);
  std::vector<uint8_t> q(dtype_row_bytes(type, 1024) * 8);
  double err = 0, norm = 0;
  for (int r = 0; r < 8; ++r) {
    quantize_row(type, x.data() + r * 1024, q.data() + r * dtype_row_bytes(type, 1024), 1024);
    dequantize_row(type, q.data() + r * dtype_row_bytes(type, 1024), y.data() + r * 1024, 1024);
  }
  for (size_t i = 0; i < x.size(); ++i) {
    err += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
    norm += x[i] * static_cast<double>(x[i]);
  }
  return std::sqrt(err / norm);
}

TEST(KQuant, RoundTripErrorIsSmallAndOrderedByBits) {
  // Gaussian rows: each further bit about halves the error (measured q4_0 0.086, q4_K 0.072, q5_K
  // 0.036, q6_K 0.018). Shifted rows (mean 3, all but a few positive) need q4_K/q5_K's mins, which
  // q4_0 and q6_K lack: q4_K 0.028 against q4_0's 0.058 there.
  std::mt19937 rng(77);
  const double e4 = round_trip_error(DType::kQ4_K, 0.0f, rng), e5 = round_trip_error(DType::kQ5_K, 0.0f, rng),
               e6 = round_trip_error(DType::kQ6_K, 0.0f, rng), e40 = round_trip_error(DType::kQ4_0, 0.0f, rng);
  std::printf("gaussian: q4_0 %.4f q4_K %.4f q5_K %.4f q6_K %.4f\n", e40, e4, e5, e6);
  EXPECT_LT(e4, 0.08);
  EXPECT_LT(e5, 0.6 * e4);
  EXPECT_LT(e6, 0.6 * e5);
  EXPECT_LT(e4, e40) << "q4_K's sub-block scales should beat q4_0";
  const double s4 = round_trip_error(DType::kQ4_K, 3.0f, rng), s5 = round_trip_error(DType::kQ5_K, 3.0f, rng),
               s40 = round_trip_error(DType::kQ4_0, 3.0f, rng);
  std::printf("shifted: q4_0 %.4f q4_K %.4f q5_K %.4f\n", s40, s4, s5);
  EXPECT_LT(s4, 0.6 * s40) << "the mins should place q4_K's levels on the data's range";
  EXPECT_LT(s5, 0.6 * s4);
}

TEST(KQuant, ZeroAndConstantRowsStayExact) {
  std::vector<float> x(256, 0.0f), y(256);
  for (DType type : kKTypes) {
    std::vector<uint8_t> q(dtype_row_bytes(type, 256));
    quantize_row(type, x.data(), q.data(), 256);
    dequantize_row(type, q.data(), y.data(), 256);
    for (float v : y) ASSERT_EQ(v, 0.0f) << dtype_name(type);
  }
}

// y = x · wᵀ at `level` and at the reference.
void check(KernelLevel level, const Tensor& x, const Tensor& w, const std::string& what) {
  Tensor y_ref = Tensor::empty(DType::kF32, {x.dim(0), w.dim(0)}), y = Tensor::empty(DType::kF32, {x.dim(0), w.dim(0)});
  matmul(env().context(KernelLevel::kScalar), x, w, y_ref);
  matmul(env().context(level), x, w, y);
  EXPECT_EQ(env().scratch().used(), 0u);
  EXPECT_TRUE(all_close(dense(y), dense(y_ref), {.rel_l2 = 2e-5})) << what;
}

class MatmulKQuantLevel : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(MatmulKQuantLevel, MatchesReference) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(4242);
  struct Case {
    int64_t m, n, k;
  };
  // Decode (1), MTP verification (2-3), batched decode (5, 8), prefill (17, 70); one and several
  // super-blocks; R1-Distill-Qwen-1.5B's hidden width 1,536.
  const Case cases[] = {{1, 37, 256}, {1, 19, 1536}, {2, 21, 512}, {3, 9, 1280},
                        {5, 17, 256}, {8, 33, 768},  {17, 5, 2048}, {70, 3, 512}};
  for (DType wtype : kKTypes) {
    for (const Case& c : cases) {
      const Tensor x = random_f32({c.m, c.k}, rng);
      const Tensor w = convert_rows(random_f32({c.n, c.k}, rng), wtype);
      check(level, x, w, std::string(dtype_name(wtype)) + " m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
                             " k=" + std::to_string(c.k));
    }
  }
}

TEST_P(MatmulKQuantLevel, RowViewsOfAWiderMatrix) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(99);
  for (DType wtype : kKTypes) {
    const Tensor big = convert_rows(random_f32({40, 512}, rng), wtype);
    const Tensor w = big.narrow(0, 7, 20);  // rows 7..26: a row-range view, as experts and heads are
    for (int64_t m : {1, 4}) check(level, random_f32({m, 512}, rng), w, std::string(dtype_name(wtype)) + " view");
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulKQuantLevel, ::testing::ValuesIn(fast_levels()), level_param_name);

}  // namespace
}  // namespace seek::kernels::test
