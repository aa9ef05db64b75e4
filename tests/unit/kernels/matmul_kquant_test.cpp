// K-quant weights (q2_K .. q6_K): blocks laid out by hand from ggml's format description dequantise
// to d·sc·q - dmin·m (q6_K: d·sc·(q - 32), q3_K d·sc·(q - 4)) value by value; the quantisers' round-trip error is small and
// ordered by bits; every fast level's product matches the reference (decode, batched and prefill rows,
// several super-blocks, row views); the reference against the f32 product is in matmul_test.cpp.
// The same for q4_1, q5_0 and q5_1, which share the K-quants' kernels eight blocks at a time: their
// layouts by hand, ggml's reference quantiser on rows whose bytes can be worked out, rows that end in a
// short group of blocks; iq4_nl (rows with short groups too) and iq4_xs match the reference as well
// (their layouts and quantiser: quant_iq4_test.cpp).
#include <cmath>
#include <cstring>

#include "core/quant_k.h"
#include "core/quant_legacy.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {
namespace {

using seek::test::all_close;

constexpr DType kKTypes[] = {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
constexpr DType kLegacyTypes[] = {DType::kQ4_1, DType::kQ5_0, DType::kQ5_1};

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

// Two blocks of each legacy type packed from ggml-common.h's description: f16 d (and m), then the
// fifth bits as a little-endian word (bit i: value i), then 16 bytes (byte j: value j low nibble,
// value j + 16 high nibble).
TEST(LegacyQuant, ValuesFollowTheLayout) {
  for (DType type : kLegacyTypes) {
    const bool has_min = type != DType::kQ5_0, has_high = type != DType::kQ4_1;
    const int bits = has_high ? 5 : 4;
    std::vector<uint8_t> row(2 * dtype_block_bytes(type), 0);
    for (int b = 0; b < 2; ++b) {
      uint8_t* block = row.data() + b * dtype_block_bytes(type);
      const uint16_t d = f32_to_f16(0.25f * (b + 1)), m = f32_to_f16(-1.5f + b);
      std::memcpy(block, &d, 2);
      if (has_min) std::memcpy(block + 2, &m, 2);
      uint8_t* qh = block + (has_min ? 4 : 2);
      uint8_t* qs = qh + (has_high ? 4 : 0);
      uint32_t high = 0;
      for (int i = 0; i < 32; ++i) {
        const int q = level_of(32 * b + i, bits);
        qs[i % 16] |= static_cast<uint8_t>((q & 15) << (i < 16 ? 0 : 4));
        high |= static_cast<uint32_t>(q >> 4) << i;
      }
      if (has_high) std::memcpy(qh, &high, 4);
    }
    float y[64];
    dequantize_row(type, row.data(), y, 64);
    for (int i = 0; i < 64; ++i) {
      const float d = 0.25f * (i / 32 + 1), m = -1.5f + i / 32;
      const float want = type == DType::kQ5_0 ? d * (level_of(i, 5) - 16) : d * level_of(i, bits) + m;
      ASSERT_EQ(y[i], want) << dtype_name(type) << " value " << i;
    }
  }
}

// Rows whose reference quantisation can be worked out: a block of the levels themselves (q5_0 shifted
// by -16) gives d = 1, m = 0 and level i at value i, so every nibble and fifth bit lands where ggml
// puts it; a constant block comes back exactly (q4_1/q5_1: d = 0 and the value as the min; q5_0: d =
// value / -16 and every level 0).
TEST(LegacyQuant, QuantiserWritesGgmlsBytes) {
  for (DType type : kLegacyTypes) {
    const int top = type == DType::kQ4_1 ? 15 : 31;
    float x[64];
    for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(type == DType::kQ5_0 ? i - 16 : i % (top + 1));
    for (int i = 32; i < 64; ++i) x[i] = 0.75f;
    std::vector<uint8_t> row(2 * dtype_block_bytes(type));
    quantize_row(type, x, row.data(), 64);
    const LegacyFields f = legacy_fields(type, row.data()), g = legacy_fields(type, row.data() + dtype_block_bytes(type));
    EXPECT_EQ(f.d, 1.0f) << dtype_name(type);
    EXPECT_EQ(f.m, 0.0f) << dtype_name(type);
    for (int i = 0; i < 32; ++i) ASSERT_EQ(legacy_q(f, i), i % (top + 1)) << dtype_name(type) << " value " << i;
    EXPECT_EQ(g.d, type == DType::kQ5_0 ? 0.75f / -16.0f : 0.0f) << dtype_name(type);
    float y[64];
    dequantize_row(type, row.data(), y, 64);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(y[i], x[i]) << dtype_name(type) << " value " << i;
  }
}

TEST(KQuant, Q2KValuesFollowTheLayout) {
  BlockQ2_K b{};
  b.d = f32_to_f16(0.5f);
  b.dmin = f32_to_f16(0.25f);
  for (int g = 0; g < 16; ++g) b.scales[g] = static_cast<uint8_t>(sc_of(g) % 16 | (m_of(g) % 16) << 4);
  for (int i = 0; i < 256; ++i)  // value 32j + l of half h: bits 2j, 2j + 1 of qs[32h + l]
    b.qs[32 * (i / 128) + i % 32] |= static_cast<uint8_t>(level_of(i, 2) << (2 * ((i % 128) / 32)));
  float y[256];
  dequantize_row(DType::kQ2_K, &b, y, 256);
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(y[i], 0.5f * (sc_of(i / 16) % 16) * level_of(i, 2) - 0.25f * (m_of(i / 16) % 16)) << "value " << i;
}

TEST(KQuant, Q3KValuesFollowTheLayout) {
  BlockQ3_K b{};
  b.d = f32_to_f16(0.125f);
  for (int g = 0; g < 16; ++g) {  // stored 6-bit scale s + 32: low four bits in nibbles, top two in bytes 8-11
    const int stored = (g * 29 + 7) % 64;
    b.scales[g % 8] |= static_cast<uint8_t>((stored & 15) << (g < 8 ? 0 : 4));
    b.scales[8 + g % 4] |= static_cast<uint8_t>((stored >> 4) << (2 * (g / 4)));
  }
  for (int i = 0; i < 256; ++i) {  // low two bits as q2_K's; the third is bit 4h + j of hmask[l]
    const int q = level_of(i, 3), h = i / 128, j = (i % 128) / 32, l = i % 32;
    b.qs[32 * h + l] |= static_cast<uint8_t>((q & 3) << (2 * j));
    b.hmask[l] |= static_cast<uint8_t>((q >> 2) << (4 * h + j));
  }
  float y[256];
  dequantize_row(DType::kQ3_K, &b, y, 256);
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(y[i], 0.125f * ((i / 16 * 29 + 7) % 64 - 32) * (level_of(i, 3) - 4)) << "value " << i;
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
  const double e2 = round_trip_error(DType::kQ2_K, 0.0f, rng), e3 = round_trip_error(DType::kQ3_K, 0.0f, rng);
  std::printf("gaussian: q2_K %.4f q3_K %.4f\n", e2, e3);
  EXPECT_LT(e2, 0.45);
  EXPECT_LT(e3, 0.7 * e2);
  EXPECT_LT(e4, 0.7 * e3);
  const double s4 = round_trip_error(DType::kQ4_K, 3.0f, rng), s5 = round_trip_error(DType::kQ5_K, 3.0f, rng),
               s40 = round_trip_error(DType::kQ4_0, 3.0f, rng);
  std::printf("shifted: q4_0 %.4f q4_K %.4f q5_K %.4f\n", s40, s4, s5);
  EXPECT_LT(s4, 0.6 * s40) << "the mins should place q4_K's levels on the data's range";
  EXPECT_LT(s5, 0.6 * s4);
}

TEST(LegacyQuant, RoundTripErrorIsOrderedByBitsAndMins) {
  // Gaussian rows: q5_0 and q5_1 about half q4_0's error; shifted rows (mean 3) need a min: q4_1 well
  // under q4_0, q5_1 under q5_0.
  std::mt19937 rng(78);
  const double g40 = round_trip_error(DType::kQ4_0, 0.0f, rng), g50 = round_trip_error(DType::kQ5_0, 0.0f, rng),
               g51 = round_trip_error(DType::kQ5_1, 0.0f, rng);
  const double s40 = round_trip_error(DType::kQ4_0, 3.0f, rng), s41 = round_trip_error(DType::kQ4_1, 3.0f, rng),
               s50 = round_trip_error(DType::kQ5_0, 3.0f, rng), s51 = round_trip_error(DType::kQ5_1, 3.0f, rng);
  std::printf("gaussian: q4_0 %.4f q5_0 %.4f q5_1 %.4f; shifted: q4_0 %.4f q4_1 %.4f q5_0 %.4f q5_1 %.4f\n", g40,
              g50, g51, s40, s41, s50, s51);
  EXPECT_LT(g50, 0.6 * g40);
  EXPECT_LT(g51, 0.6 * g40);
  EXPECT_LT(s41, 0.7 * s40);
  EXPECT_LT(s51, 0.7 * s50);
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
  // The legacy types also take rows that end in a short group: MLA's attn_k_b (k = 128, nothing but
  // the short group), V2-Lite's experts (1,408: five groups and four blocks), one block (32).
  const Case legacy_cases[] = {{1, 23, 128}, {1, 11, 1408}, {1, 5, 32},  {2, 7, 1408},
                               {3, 13, 96},  {4, 9, 2048},  {8, 6, 1408}, {17, 4, 160}};
  const auto run_cases = [&](DType wtype, const auto& list) {
    for (const Case& c : list) {
      const Tensor x = random_f32({c.m, c.k}, rng);
      const Tensor w = convert_rows(random_f32({c.n, c.k}, rng), wtype);
      check(level, x, w, std::string(dtype_name(wtype)) + " m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
                             " k=" + std::to_string(c.k));
    }
  };
  for (DType wtype : kKTypes) run_cases(wtype, cases);
  run_cases(DType::kIQ4_XS, cases);
  for (DType wtype : {DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kIQ4_NL}) {
    run_cases(wtype, cases);
    run_cases(wtype, legacy_cases);
  }
}

TEST_P(MatmulKQuantLevel, RowViewsOfAWiderMatrix) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(99);
  for (DType wtype : matmul_test::kGroupedQuantTypes) {
    const Tensor big = convert_rows(random_f32({40, 512}, rng), wtype);
    const Tensor w = big.narrow(0, 7, 20);  // rows 7..26: a row-range view, as experts and heads are
    for (int64_t m : {1, 4}) check(level, random_f32({m, 512}, rng), w, std::string(dtype_name(wtype)) + " view");
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulKQuantLevel, ::testing::ValuesIn(fast_levels()), level_param_name);

}  // namespace
}  // namespace seek::kernels::test
