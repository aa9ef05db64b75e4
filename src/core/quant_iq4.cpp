#include "core/quant_iq4.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/quant.h"
#include "core/quant_k.h"

namespace seek {

void dequantize_row_iq4(DType t, const uint8_t* x, float* y, int64_t n) {
  SEEK_ASSERT(dtype_is_iq4(t) && n % dtype_block_size(t) == 0);
  const int per_block = dtype_block_size(t);
  const size_t bytes = dtype_block_bytes(t);
  for (int64_t b = 0; b < n / per_block; ++b)
    for (int i = 0; i < per_block; ++i) y[b * per_block + i] = iq4_value(t, x + b * bytes, i);
}

namespace {

// The index of the level nearest v. The levels are integers, so the points where the nearest changes
// (midpoints between neighbours) are multiples of 1/2: the index is constant on each [j/2, (j + 1)/2)
// and a table over j answers (a tie goes to the level above). The quantiser asks this 30 times per value.
// Built at compile time: the quantiser's table costs start-up nothing.
struct NearestLevels {
  uint8_t index[512] = {};  // j + 256 for j = floor(2v) in -256..255
  constexpr NearestLevels() {
    for (int j = -256; j < 256; ++j) {
      // In quarters, the interval's middle is 2j + 1 (odd) and level l is 4·L[l] (even): never a tie.
      const auto distance = [&](int l) {
        const int d = 4 * kIq4Levels[l] - (2 * j + 1);
        return d < 0 ? -d : d;
      };
      int best = 0;
      for (int l = 1; l < 16; ++l)
        if (distance(l) < distance(best)) best = l;
      index[j + 256] = static_cast<uint8_t>(best);
    }
  }
};
constexpr NearestLevels kNearest;

int nearest_level(float v) {
  const float twice = std::clamp(2.0f * v, -256.0f, 255.0f);  // past the ends: the end levels
  return kNearest.index[static_cast<int>(std::floor(twice)) + 256];
}

// Levels L for x[0..32) at the scale d (all the level nearest 0 when d is 0).
void assign_levels(const float* x, float d, uint8_t L[32]) {
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int i = 0; i < 32; ++i) L[i] = static_cast<uint8_t>(nearest_level(id * x[i]));
}

// The scale d for which x[0..32) ≈ d·kIq4Levels[L] best, weighting each value by x² (large weights
// matter most): candidate scales map the value of largest magnitude onto either end of the levels and a
// few steps inside it (the negative end reaches -127, the positive only 113); for each, the levels are
// taken nearest and d is their weighted least-squares fit; the fit with the largest projection
// (Σ w·l·x)² / Σ w·l² wins, which is the one of least weighted error.
float fit_levels(const float* x) {
  const float max = signed_absmax(x, 32);
  if (std::fabs(max) < 1e-15f) return 0.0f;
  float best_projection = 0.0f, best_d = 0.0f;
  for (const int end : {kIq4Levels[0], kIq4Levels[15]}) {
    for (int step = -7; step <= 7; ++step) {
      const float id = static_cast<float>(end + step) / max;
      double slx = 0, sll = 0;
      for (int i = 0; i < 32; ++i) {
        const double w = static_cast<double>(x[i]) * x[i];
        const double l = kIq4Levels[nearest_level(id * x[i])];
        slx += w * l * x[i];
        sll += w * l * l;
      }
      if (sll <= 0) continue;
      const double projection = slx * slx / sll;
      if (projection > best_projection) {
        best_projection = static_cast<float>(projection);
        best_d = static_cast<float>(slx / sll);
      }
    }
  }
  return best_d;
}

void put_nibbles(const uint8_t L[32], uint8_t qs[16]) {
  for (int j = 0; j < 16; ++j) qs[j] = static_cast<uint8_t>(L[j] | (L[j + 16] << 4));
}

}  // namespace

void quantize_row_iq4(DType t, const float* x, uint8_t* y, int64_t n) {
  SEEK_ASSERT(dtype_is_iq4(t) && n % dtype_block_size(t) == 0);
  uint8_t L[32];
  if (t == DType::kIQ4_NL) {
    BlockIQ4_NL* out = reinterpret_cast<BlockIQ4_NL*>(y);
    for (int64_t b = 0; b < n / 32; ++b) {
      const float* xb = x + 32 * b;
      out[b].d = f32_to_f16(fit_levels(xb));
      assign_levels(xb, f16_to_f32(out[b].d), L);  // against the scale as stored
      put_nibbles(L, out[b].qs);
    }
    return;
  }
  BlockIQ4_XS* out = reinterpret_cast<BlockIQ4_XS*>(y);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* xb = x + kQK_K * b;
    float scales[8];
    for (int s = 0; s < 8; ++s) scales[s] = fit_levels(xb + 32 * s);
    // The sub-block scale of largest magnitude becomes -32, the widest of the 6-bit range -32..31.
    const float d = f16_to_f32(f32_to_f16(signed_absmax(scales, 8) / -32.0f));
    BlockIQ4_XS& o = out[b];
    o.d = f32_to_f16(d);
    o.scales_h = 0;
    std::memset(o.scales_l, 0, sizeof(o.scales_l));
    for (int s = 0; s < 8; ++s) {
      const int ls = d != 0.0f ? std::clamp(static_cast<int>(std::lround(scales[s] / d)), -32, 31) : 0;
      o.scales_l[s / 2] |= static_cast<uint8_t>(((ls + 32) & 0x0F) << (4 * (s % 2)));
      o.scales_h |= static_cast<uint16_t>(((ls + 32) >> 4) << (2 * s));
      assign_levels(xb + 32 * s, d * static_cast<float>(ls), L);
      put_nibbles(L, o.qs + 16 * s);
    }
  }
}

}  // namespace seek
