// iq4_nl and iq4_xs: blocks packed by hand from ggml-common.h's description dequantise to d·L[q]
// (iq4_xs: d·(ls - 32)·L[q]) value by value, with the levels written out here from the same source;
// the quantiser recovers rows made of the levels exactly and keeps zero rows zero; its round-trip
// error on Gaussian rows is below q4_0's (the levels are closer together near zero, where most values
// lie). The kernels against the reference: matmul_kquant_test.cpp.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <tuple>

#include "core/quant_iq4.h"
#include "kernel_test_util.h"

namespace seek::kernels::test {
namespace {

// kvalues_iq4nl in ggml-common.h.
constexpr int kLevels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Level indices and sub-block scales chosen so that every position differs.
int index_of(int i) { return (i * 5 + i / 32 * 3 + 7) % 16; }
int ls_of(int s) { return (s * 27 + 13) % 64; }  // 6 bits: exercises scales_h's two bits of every sub-block

// 32 values' indices packed as q4_0's: byte j holds value j (low nibble) and j + 16 (high).
void pack_nibbles(int first, uint8_t* qs) {
  for (int j = 0; j < 16; ++j)
    qs[j] = static_cast<uint8_t>(index_of(first + j) | (index_of(first + j + 16) << 4));
}

TEST(Iq4Quant, Iq4NlValuesFollowTheLayout) {
  uint8_t row[2 * 18] = {};
  for (int b = 0; b < 2; ++b) {
    const uint16_t d = f32_to_f16(b == 0 ? 0.5f : -0.125f);
    std::memcpy(row + 18 * b, &d, 2);
    pack_nibbles(32 * b, row + 18 * b + 2);
  }
  float y[64];
  dequantize_row(DType::kIQ4_NL, row, y, 64);
  for (int i = 0; i < 64; ++i)
    ASSERT_EQ(y[i], (i < 32 ? 0.5f : -0.125f) * static_cast<float>(kLevels[index_of(i)])) << "value " << i;
}

TEST(Iq4Quant, Iq4XsValuesFollowTheLayout) {
  // { f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]; }: ls_s's low nibble is nibble s of scales_l (low
  // first), its top two bits are bits 2s, 2s + 1 of scales_h.
  uint8_t block[136] = {};
  const uint16_t d = f32_to_f16(0.0625f);
  std::memcpy(block, &d, 2);
  uint16_t high = 0;
  for (int s = 0; s < 8; ++s) {
    block[4 + s / 2] |= static_cast<uint8_t>((ls_of(s) & 15) << (4 * (s % 2)));
    high |= static_cast<uint16_t>((ls_of(s) >> 4) << (2 * s));
    pack_nibbles(32 * s, block + 8 + 16 * s);
  }
  std::memcpy(block + 2, &high, 2);
  float y[256];
  dequantize_row(DType::kIQ4_XS, block, y, 256);
  for (int i = 0; i < 256; ++i)
    ASSERT_EQ(y[i], 0.0625f * static_cast<float>(ls_of(i / 32) - 32) * static_cast<float>(kLevels[index_of(i)]))
        << "value " << i;
}

// Rows that are a scale times the levels: the fit finds that scale and every index, so the round trip
// is exact; iq4_xs's sub-block scales are whole multiples of a d that the largest makes -32 (one of
// them 0: a zero sub-block). Zero rows stay zero.
TEST(Iq4Quant, QuantiserRecoversRowsMadeOfTheLevels) {
  float nl[64];
  for (int i = 0; i < 64; ++i) nl[i] = (i < 32 ? 0.5f : -0.25f) * static_cast<float>(kLevels[index_of(i)]);
  const int ls[8] = {-32, 5, -7, 31, 0, 17, -1, 12};
  float xs[512];
  for (int i = 0; i < 512; ++i)
    xs[i] = 0.03125f * static_cast<float>(ls[i / 32 % 8]) * static_cast<float>(kLevels[index_of(i)]);
  for (const auto& [type, x, n] : {std::tuple{DType::kIQ4_NL, nl, 64}, std::tuple{DType::kIQ4_XS, xs, 512}}) {
    std::vector<uint8_t> q(dtype_row_bytes(type, n));
    std::vector<float> y(n), zero(n, 0.0f);
    quantize_row(type, x, q.data(), n);
    dequantize_row(type, q.data(), y.data(), n);
    for (int i = 0; i < n; ++i) ASSERT_EQ(y[i], x[i]) << dtype_name(type) << " value " << i;
    quantize_row(type, zero.data(), q.data(), n);
    dequantize_row(type, q.data(), y.data(), n);
    for (int i = 0; i < n; ++i) ASSERT_EQ(y[i], 0.0f) << dtype_name(type) << " zero row, value " << i;
  }
}

TEST(Iq4Quant, RoundTripErrorBeatsQ4_0) {
  std::mt19937 rng(79);
  const double q40 = round_trip_error(DType::kQ4_0, 0.0f, rng), nl = round_trip_error(DType::kIQ4_NL, 0.0f, rng),
               xs = round_trip_error(DType::kIQ4_XS, 0.0f, rng);
  std::printf("gaussian: q4_0 %.4f iq4_nl %.4f iq4_xs %.4f\n", q40, nl, xs);
  // Measured 0.0845 / 0.0761 / 0.0765: the fit weights values by x², as ggml's does, so its unweighted
  // error is a little above a plain least-squares fit's (0.0737 for iq4_nl).
  EXPECT_LT(nl, 0.93 * q40);
  EXPECT_LT(xs, 0.93 * q40);
}

}  // namespace
}  // namespace seek::kernels::test
