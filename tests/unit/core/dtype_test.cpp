// Conversions between f32 and the storage dtypes, checked against exact hand values and against the
// defining formulas over every 16-bit / 8-bit pattern.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "core/quant.h"

namespace seek {
namespace {

TEST(DType, SizesMatchGgml) {
  EXPECT_EQ(dtype_block_bytes(DType::kQ8_0), 34u);
  EXPECT_EQ(dtype_block_bytes(DType::kQ4_0), 18u);
  EXPECT_EQ(dtype_row_bytes(DType::kQ4_0, 64), 36u);
  EXPECT_EQ(dtype_row_bytes(DType::kBF16, 7), 14u);
}

TEST(DType, Bf16KnownValues) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(-2.0f), 0xc000);
  // 1 + 2^-8 is exactly halfway between two bf16 values: ties to even (down).
  EXPECT_EQ(f32_to_bf16(1.00390625f), 0x3f80);
  // 1 + 3 * 2^-8 is halfway too: rounds up to the even mantissa.
  EXPECT_EQ(f32_to_bf16(1.01171875f), 0x3f82);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(DType, Bf16RoundTripAllPatterns) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(f32_to_bf16(f), h) << "pattern " << h;
  }
}

TEST(DType, F16RoundTripAllPatterns) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f))));
      continue;
    }
    ASSERT_EQ(f32_to_f16(f), h) << "pattern " << h << " value " << f;
  }
}

// f32 -> f16 must round to the nearest representable value (ties to even), including subnormals and
// the overflow boundary; checked against a brute-force nearest search.
TEST(DType, F16RoundingMatchesNearest) {
  std::mt19937 rng(7);
  std::vector<float> finite;
  for (uint32_t h = 0; h < 0x7c00; ++h) finite.push_back(f16_to_f32(static_cast<uint16_t>(h)));
  std::uniform_real_distribution<float> log_mag(-27.0f, 17.0f);
  for (int i = 0; i < 20000; ++i) {
    const float x = std::exp2(log_mag(rng)) * ((i & 1) ? -1.0f : 1.0f);
    const float ax = std::fabs(x);
    uint16_t got = f32_to_f16(x);
    if (ax >= 65520.0f) {
      EXPECT_EQ(got & 0x7fff, 0x7c00);
      continue;
    }
    // nearest by binary search over the monotone positive patterns
    size_t lo = 0, hi = finite.size() - 1;
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      (finite[mid] <= ax ? lo : hi) = mid;
    }
    const float dlo = ax - finite[lo], dhi = finite[hi] - ax;
    size_t want = dlo < dhi ? lo : dhi < dlo ? hi : ((lo & 1) ? hi : lo);
    if (ax < finite[lo]) want = lo;
    EXPECT_EQ(got & 0x7fff, want) << "x = " << x;
  }
}

TEST(DType, F8E4M3KnownValues) {
  EXPECT_EQ(f8e4m3_to_f32(0x00), 0.0f);
  EXPECT_EQ(f8e4m3_to_f32(0x38), 1.0f);    // exp 7, mant 0
  EXPECT_EQ(f8e4m3_to_f32(0x7e), 448.0f);  // max finite
  EXPECT_EQ(f8e4m3_to_f32(0xfe), -448.0f);
  EXPECT_EQ(f8e4m3_to_f32(0x01), 0.001953125f);  // smallest subnormal 2^-9
  EXPECT_TRUE(std::isnan(f8e4m3_to_f32(0x7f)));
  EXPECT_TRUE(std::isnan(f8e4m3_to_f32(0xff)));
  EXPECT_EQ(f32_to_f8e4m3(1000.0f), 0x7e);  // saturates
}

TEST(DType, F8E4M3RoundTripAllPatterns) {
  for (uint32_t b = 0; b < 256; ++b) {
    const float f = f8e4m3_to_f32(static_cast<uint8_t>(b));
    if (std::isnan(f)) continue;
    if (b == 0x80) continue;  // -0 keeps its sign bit
    EXPECT_EQ(f32_to_f8e4m3(f), b) << "pattern " << b;
  }
  EXPECT_EQ(f32_to_f8e4m3(-0.0f), 0x80);
}

TEST(Quant, Q8_0MatchesDefinition) {
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(96), y(96);
  for (float& v : x) v = nd(rng);
  std::vector<BlockQ8_0> q(3);
  quantize_row(DType::kQ8_0, x.data(), q.data(), 96);
  dequantize_row(DType::kQ8_0, q.data(), y.data(), 96);
  for (int b = 0; b < 3; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const float d = f16_to_f32(q[b].d);
    EXPECT_NEAR(d, amax / 127.0f, amax / 127.0f * 1e-3f);
    for (int j = 0; j < 32; ++j) EXPECT_LE(std::fabs(y[b * 32 + j] - x[b * 32 + j]), 0.5f * d + 1e-3f * amax);
  }
}

TEST(Quant, Q4_0MatchesDefinition) {
  // A block whose largest magnitude is negative: d = max / -8 is positive and the extreme maps to 0.
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 20) * 0.5f;  // min -10 has largest magnitude
  BlockQ4_0 q;
  quantize_row(DType::kQ4_0, x.data(), &q, 32);
  EXPECT_FLOAT_EQ(f16_to_f32(q.d), 1.25f);
  EXPECT_EQ(q.qs[0] & 0xf, 0);  // -10 / 1.25 + 8 = 0
  std::vector<float> y(32);
  dequantize_row(DType::kQ4_0, &q, y.data(), 32);
  for (int j = 0; j < 32; ++j) EXPECT_LE(std::fabs(y[j] - x[j]), 0.625f + 1e-6f) << j;
  // value j=16 sits in the high nibble of byte 0
  EXPECT_FLOAT_EQ(y[16], 1.25f * static_cast<float>((q.qs[0] >> 4) - 8));
}

}  // namespace
}  // namespace seek
