// Small AVX-512 building blocks shared by the *_avx512.cpp kernels.
//
// Include only from files compiled with the AVX-512 flags. Every function here is `static inline`
// (internal linkage): each including translation unit gets its own copy, so no wide-instruction
// definition can be merged with a generic one by the linker (see backend.h).
#pragma once

// GCC 12 warns that the _mm512_undefined_* placeholders inside its own intrinsic headers are
// uninitialised; the pragma must precede the first inclusion of <immintrin.h> to cover them, so
// AVX-512 files include this header instead of <immintrin.h>.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace seek::kernels::avx512 {

// e^x for 16 lanes, relative error ~2 ulp. Overflows to +inf and underflows to 0 (via scalef);
// NaN propagates. Range reduction x = n·ln2 + r, |r| <= ln2/2, then Cephes' degree-6 polynomial.
static inline __m512 exp_ps(__m512 x) {
  // min/max return their second operand when either is NaN, so NaN inputs survive the clamp.
  x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

// Transposes a 16x16 matrix of 32-bit elements held one row per register (64 shuffles).
__attribute__((always_inline)) static inline void transpose_16x16(__m512i r[16]) {
  __m512i t[16];
#pragma GCC unroll 16
  for (int p = 0; p < 8; ++p) {
    t[2 * p] = _mm512_unpacklo_epi32(r[2 * p], r[2 * p + 1]);
    t[2 * p + 1] = _mm512_unpackhi_epi32(r[2 * p], r[2 * p + 1]);
  }
  // v[q][c]: 128-bit lane L holds rows 4q..4q+3 of column 4L + c.
  __m512i v[4][4];
#pragma GCC unroll 16
  for (int q = 0; q < 4; ++q) {
    const __m512i lo0 = t[4 * q], hi0 = t[4 * q + 1], lo1 = t[4 * q + 2], hi1 = t[4 * q + 3];
    v[q][0] = _mm512_unpacklo_epi64(lo0, lo1);
    v[q][1] = _mm512_unpackhi_epi64(lo0, lo1);
    v[q][2] = _mm512_unpacklo_epi64(hi0, hi1);
    v[q][3] = _mm512_unpackhi_epi64(hi0, hi1);
  }
#pragma GCC unroll 16
  for (int c = 0; c < 4; ++c) {
    const __m512i x = _mm512_shuffle_i32x4(v[0][c], v[1][c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512i y = _mm512_shuffle_i32x4(v[0][c], v[1][c], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512i z = _mm512_shuffle_i32x4(v[2][c], v[3][c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512i w = _mm512_shuffle_i32x4(v[2][c], v[3][c], _MM_SHUFFLE(3, 1, 3, 1));
    r[c] = _mm512_shuffle_i32x4(x, z, _MM_SHUFFLE(2, 0, 2, 0));
    r[c + 8] = _mm512_shuffle_i32x4(x, z, _MM_SHUFFLE(3, 1, 3, 1));
    r[c + 4] = _mm512_shuffle_i32x4(y, w, _MM_SHUFFLE(2, 0, 2, 0));
    r[c + 12] = _mm512_shuffle_i32x4(y, w, _MM_SHUFFLE(3, 1, 3, 1));
  }
}

// 16 values of a weight row widened to f32 exactly (count < 16 loads a masked tail, rest zero).
static inline __m512 load_f32(const float* p, int count = 16) {
  return count >= 16 ? _mm512_loadu_ps(p)
                     : _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1), p);
}
static inline __m512 load_f16(const uint16_t* p, int count = 16) {
  const __m256i h = count >= 16 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))
                                : _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << count) - 1), p);
  return _mm512_cvtph_ps(h);
}
static inline __m512 load_bf16(const uint16_t* p, int count = 16) {
  const __m256i h = count >= 16 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))
                                : _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << count) - 1), p);
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// One q8_0 block of activations, quantised exactly like core/quant.cpp's reference (d = amax/127
// rounded to f16, q = round-half-away(x / d)), so fast and reference paths see the same integers.
struct QuantBlock {
  __m128i lo, hi;  // q[0..16), q[16..32) as int8
  float d;         // the f16-rounded scale, widened
};

static inline __m512 round_half_away_ps(__m512 v) {
  const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
  const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512 one = _mm512_or_ps(_mm512_and_ps(v, _mm512_set1_ps(-0.0f)), _mm512_set1_ps(1.0f));
  return _mm512_mask_add_ps(t, up, t, one);
}

static inline QuantBlock quantize_block(const float* x) {
  const __m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
  // max(|x|, acc) ignores NaN like the reference's std::max(amax, |x|).
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const __m512 vid = _mm512_set1_ps(id);
  QuantBlock q;
  q.lo = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(round_half_away_ps(_mm512_mul_ps(a, vid))));
  q.hi = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(round_half_away_ps(_mm512_mul_ps(b, vid))));
  q.d = _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
  return q;
}

// Loads 4 bytes as an int (for broadcasting 4 packed int8 or 2 bf16).
static inline int32_t load_i32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace seek::kernels::avx512
