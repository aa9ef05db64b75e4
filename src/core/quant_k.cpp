#include "core/quant_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/dtype.h"
#include "core/error.h"
#include "core/quant.h"

namespace seek {
namespace {

int nearest(float v) { return static_cast<int>(std::lround(v)); }

// ---- dequantisation ----

template <typename Block, int (*Q)(const Block&, int)>
void dequantize_scale_min(const Block* x, float* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = f16_to_f32(x[b].d), dmin = f16_to_f32(x[b].dmin);
    const KScaleMin sm = k_scale_min(x[b].scales);
    for (int s = 0; s < 8; ++s) {
      const float scale = d * static_cast<float>(sm.sc[s]), min = dmin * static_cast<float>(sm.m[s]);
      for (int l = 0; l < 32; ++l) y[b * kQK_K + 32 * s + l] = scale * static_cast<float>(Q(x[b], 32 * s + l)) - min;
    }
  }
}

// ---- fitting one sub-block ----

// x[0..n) ≈ scale · L - min with L in 0..nmax and min >= 0 (the formats store the min as a positive
// number taken away). Candidate ranges [lo, hi] around the data's own; for each, the levels L it gives,
// then the least-squares (scale, min) for those levels. Returns the scale; L and *min filled.
float fit_scale_min(const float* x, int n, int nmax, uint8_t* L, float* min_out) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  lo = std::min(lo, 0.0f);  // min >= 0: the levels start at or below zero
  if (hi <= lo) {
    std::fill(L, L + n, 0);
    *min_out = -lo;
    return 0.0f;
  }
  float best_err = INFINITY, best_scale = 0.0f, best_min = 0.0f;
  uint8_t trial[32];
  for (int step = -4; step <= 12; ++step) {
    const float iscale = (static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / (hi - lo);
    double sl = 0, sll = 0, sx = 0, slx = 0;
    for (int i = 0; i < n; ++i) {
      trial[i] = static_cast<uint8_t>(std::clamp(nearest(iscale * (x[i] - lo)), 0, nmax));
      sl += trial[i];
      sll += static_cast<double>(trial[i]) * trial[i];
      sx += x[i];
      slx += trial[i] * static_cast<double>(x[i]);
    }
    // Least squares for x ≈ scale·L + offset; offset <= 0 (a stored min is >= 0).
    const double det = n * sll - sl * sl;
    if (det <= 0) continue;
    double scale = (n * slx - sl * sx) / det, offset = (sll * sx - sl * slx) / det;
    if (offset > 0) {
      offset = 0;
      scale = sll > 0 ? slx / sll : 0;
    }
    double err = 0;
    for (int i = 0; i < n; ++i) {
      const double e = scale * trial[i] + offset - x[i];
      err += e * e;
    }
    if (err < best_err && scale > 0) {
      best_err = err;
      best_scale = static_cast<float>(scale);
      best_min = static_cast<float>(-offset);
      std::memcpy(L, trial, static_cast<size_t>(n));
    }
  }
  *min_out = best_min;
  return best_scale;
}

// x[0..16) ≈ scale · L with L in -half..half - 1 (q6_K: 32, q3_K: 4): the scale maps the value of largest
// magnitude to -half or near it, a few candidates tried, least squares for the levels of each.
float fit_symmetric(const float* x, int n, int half) {
  const float max = signed_absmax(x, n);
  if (max == 0.0f) return 0.0f;
  float best_err = INFINITY, best_scale = 0.0f;
  for (int step = -6; step <= 6; ++step) {
    const float iscale = -(static_cast<float>(half) + 0.1f * static_cast<float>(step)) / max;
    double slx = 0, sll = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest(iscale * x[i]), -half, half - 1);
      slx += l * static_cast<double>(x[i]);
      sll += static_cast<double>(l) * l;
    }
    if (sll <= 0) continue;
    const double scale = slx / sll;
    double err = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest(static_cast<float>(x[i] / scale)), -half, half - 1);
      const double e = scale * l - x[i];
      err += e * e;
    }
    if (err < best_err) {
      best_err = err;
      best_scale = static_cast<float>(scale);
    }
  }
  return best_scale;
}

// A symmetric super-block's 16 group scales (levels -half..half - 1) and the super-block scale d that
// makes the largest of them -widest, the format's widest group scale (as ggml's q6_K and q3_K do).
float symmetric_groups(const float* xb, int half, int widest, float scales[16]) {
  for (int g = 0; g < 16; ++g) scales[g] = fit_symmetric(xb + 16 * g, 16, half);
  return f16_to_f32(f32_to_f16(signed_absmax(scales, 16) / -static_cast<float>(widest)));
}

// The super-block scale for values v[0..n) (all >= 0) stored as 0..top (q4_K/q5_K: 6 bits, q2_K: 4):
// d = max / top, levels rounded.
float pack_unsigned(const float* v, int n, int top, uint8_t* out) {
  const float vmax = *std::max_element(v, v + n);
  const float d = f16_to_f32(f32_to_f16(vmax / static_cast<float>(top)));
  for (int s = 0; s < n; ++s) out[s] = d > 0 ? static_cast<uint8_t>(std::clamp(nearest(v[s] / d), 0, top)) : 0;
  return d;
}

// The inverse of k_scale_min.
void store_scale_min(const uint8_t sc[8], const uint8_t m[8], uint8_t* s) {
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>(m[j] | ((m[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0F) | ((m[j + 4] & 0x0F) << 4));
  }
}

// One q4_K/q5_K super-block's header and its levels L[256] (0..nmax) against the stored scales.
template <typename Block>
void quantize_scale_min(const float* x, Block& b, int nmax, uint8_t* L) {
  float scales[8], mins[8];
  for (int s = 0; s < 8; ++s) scales[s] = fit_scale_min(x + 32 * s, 32, nmax, L + 32 * s, &mins[s]);
  uint8_t sc[8], m[8];
  const float d = pack_unsigned(scales, 8, 63, sc), dmin = pack_unsigned(mins, 8, 63, m);
  b.d = f32_to_f16(d);
  b.dmin = f32_to_f16(dmin);
  store_scale_min(sc, m, b.scales);
  for (int s = 0; s < 8; ++s) {
    const float scale = d * static_cast<float>(sc[s]), min = dmin * static_cast<float>(m[s]);
    for (int l = 0; l < 32; ++l) {
      const int i = 32 * s + l;
      L[i] = scale > 0 ? static_cast<uint8_t>(std::clamp(nearest((x[i] + min) / scale), 0, nmax)) : 0;
    }
  }
}

}  // namespace

void dequantize_row_q4_k(const BlockQ4_K* x, float* y, int64_t n) { dequantize_scale_min<BlockQ4_K, q4_k_q>(x, y, n); }
void dequantize_row_q5_k(const BlockQ5_K* x, float* y, int64_t n) { dequantize_scale_min<BlockQ5_K, q5_k_q>(x, y, n); }

void dequantize_row_q6_k(const BlockQ6_K* x, float* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = f16_to_f32(x[b].d);
    for (int i = 0; i < kQK_K; ++i)
      y[b * kQK_K + i] = d * static_cast<float>(x[b].scales[i / 16]) * static_cast<float>(q6_k_q(x[b], i) - 32);
  }
}

void dequantize_row_q2_k(const BlockQ2_K* x, float* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  for (int64_t b = 0; b < n / kQK_K; ++b)
    for (int i = 0; i < kQK_K; ++i) y[b * kQK_K + i] = k_quant_value(DType::kQ2_K, reinterpret_cast<const uint8_t*>(x + b), i);
}
void dequantize_row_q3_k(const BlockQ3_K* x, float* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  for (int64_t b = 0; b < n / kQK_K; ++b)
    for (int i = 0; i < kQK_K; ++i) y[b * kQK_K + i] = k_quant_value(DType::kQ3_K, reinterpret_cast<const uint8_t*>(x + b), i);
}

void quantize_row_q4_k(const float* x, BlockQ4_K* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  uint8_t L[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    quantize_scale_min(x + b * kQK_K, y[b], 15, L);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) y[b].qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
  }
}

void quantize_row_q5_k(const float* x, BlockQ5_K* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  uint8_t L[kQK_K];
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    quantize_scale_min(x + b * kQK_K, y[b], 31, L);
    std::memset(y[b].qh, 0, sizeof(y[b].qh));
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l)
        y[b].qs[32 * c + l] = static_cast<uint8_t>((L[64 * c + l] & 0x0F) | ((L[64 * c + 32 + l] & 0x0F) << 4));
    for (int i = 0; i < kQK_K; ++i) y[b].qh[i % 32] |= static_cast<uint8_t>((L[i] >> 4) << (i / 32));
  }
}

void quantize_row_q6_k(const float* x, BlockQ6_K* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* xb = x + b * kQK_K;
    float scales[16];
    const float d = symmetric_groups(xb, 32, 128, scales);  // int8 group scales
    BlockQ6_K& out = y[b];
    out.d = f32_to_f16(d);
    uint8_t L[kQK_K];
    for (int g = 0; g < 16; ++g) {
      const int sc = d != 0.0f ? std::clamp(nearest(scales[g] / d), -128, 127) : 0;
      out.scales[g] = static_cast<int8_t>(sc);
      const float scale = d * static_cast<float>(sc);
      for (int l = 0; l < 16; ++l) {
        const int i = 16 * g + l;
        L[i] = static_cast<uint8_t>(scale != 0.0f ? std::clamp(nearest(xb[i] / scale), -32, 31) + 32 : 32);
      }
    }
    std::memset(out.ql, 0, sizeof(out.ql));
    std::memset(out.qh, 0, sizeof(out.qh));
    for (int i = 0; i < kQK_K; ++i) {
      const int half = i / 128, u = (i % 128) / 32, l = i % 32;
      out.ql[64 * half + l + 32 * (u & 1)] |= static_cast<uint8_t>((L[i] & 0x0F) << (u < 2 ? 0 : 4));
      out.qh[32 * half + l] |= static_cast<uint8_t>((L[i] >> 4) << (2 * u));
    }
  }
}

void quantize_row_q2_k(const float* x, BlockQ2_K* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* xb = x + b * kQK_K;
    float scales[16], mins[16];
    uint8_t L[kQK_K], sc[16], m[16];
    for (int g = 0; g < 16; ++g) scales[g] = fit_scale_min(xb + 16 * g, 16, 3, L + 16 * g, &mins[g]);
    const float d = pack_unsigned(scales, 16, 15, sc), dmin = pack_unsigned(mins, 16, 15, m);
    BlockQ2_K& out = y[b];
    out.d = f32_to_f16(d);
    out.dmin = f32_to_f16(dmin);
    std::memset(out.qs, 0, sizeof(out.qs));
    for (int g = 0; g < 16; ++g) {
      out.scales[g] = static_cast<uint8_t>(sc[g] | (m[g] << 4));
      const float scale = d * static_cast<float>(sc[g]), min = dmin * static_cast<float>(m[g]);
      for (int l = 0; l < 16; ++l) {
        const int i = 16 * g + l;
        const int q = scale > 0 ? std::clamp(nearest((xb[i] + min) / scale), 0, 3) : 0;
        out.qs[32 * (i / 128) + i % 32] |= static_cast<uint8_t>(q << (2 * ((i % 128) / 32)));
      }
    }
  }
}

void quantize_row_q3_k(const float* x, BlockQ3_K* y, int64_t n) {
  SEEK_ASSERT(n % kQK_K == 0);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float* xb = x + b * kQK_K;
    float scales[16];
    const float d = symmetric_groups(xb, 4, 32, scales);  // 6-bit group scales
    BlockQ3_K& out = y[b];
    out.d = f32_to_f16(d);
    std::memset(out.hmask, 0, sizeof(out.hmask));
    std::memset(out.qs, 0, sizeof(out.qs));
    std::memset(out.scales, 0, sizeof(out.scales));
    for (int g = 0; g < 16; ++g) {
      const int sc = d != 0.0f ? std::clamp(nearest(scales[g] / d), -32, 31) : 0;
      const int stored = sc + 32;  // the inverse of k3_scale
      out.scales[g % 8] |= static_cast<uint8_t>((stored & 0x0F) << (g < 8 ? 0 : 4));
      out.scales[8 + g % 4] |= static_cast<uint8_t>((stored >> 4) << (2 * (g / 4)));
      const float scale = d * static_cast<float>(sc);
      for (int l = 0; l < 16; ++l) {
        const int i = 16 * g + l, j = (i % 128) / 32;
        const int q = scale != 0.0f ? std::clamp(nearest(xb[i] / scale), -4, 3) + 4 : 4;
        out.qs[32 * (i / 128) + i % 32] |= static_cast<uint8_t>((q & 3) << (2 * j));
        out.hmask[i % 32] |= static_cast<uint8_t>((q >> 2) << (4 * (i / 128) + j));
      }
    }
  }
}

}  // namespace seek
