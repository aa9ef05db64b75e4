// What the AVX2 quantised products of both layouts read from q4_K and iq4 blocks besides the values:
// q4_K's and iq4_xs's eight sub-block scales as lanes, iq4's level table (matmul_quant_avx2.cpp: their
// lanes for four or more x rows; matmul_kquant_avx2.cpp: one to three rows). Include only from files
// compiled with the AVX2 flags; everything is `static inline` (internal linkage, see backend.h).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/quant_iq4.h"
#include "core/quant_k.h"

namespace seek::kernels::avx2 {

// The sixteen levels in both 128-bit lanes: VPSHUFB's table for a vector of nibbles.
[[gnu::always_inline]] static inline __m256i iq4_level_table() {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4Levels)));
}

// An iq4_xs super-block's eight sub-block scales d·(ls_s - 32) as f32 lanes: ls_s's low four bits at
// bit 4s of scales_l, its top two at bit 2s of scales_h.
[[gnu::always_inline]] static inline __m256 iq4_xs_scales8(const BlockIQ4_XS& b) {
  uint32_t low;
  std::memcpy(&low, b.scales_l, 4);
  const __m256i at_4s = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
  const __m256i lo = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(low)), at_4s),
                                      _mm256_set1_epi32(0x0F));
  const __m256i hi = _mm256_and_si256(
      _mm256_srlv_epi32(_mm256_set1_epi32(b.scales_h), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
      _mm256_set1_epi32(3));
  const __m256i ls = _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), _mm256_set1_epi32(32));
  return _mm256_mul_ps(_mm256_cvtepi32_ps(ls), _mm256_set1_ps(_cvtsh_ss(b.d)));
}

// The eight 6-bit scales (or mins) of a q4_K/q5_K super-block as f32 lanes, from its 12 scale bytes
// read as three words (k_scale_min's layout: sub-blocks 0-3 in the low six bits of words 0/1, 4-7 in
// word 2's nibbles plus the top two bits of words 0/1).
struct ScaleMin8 {
  __m256 sc, m;
};
[[gnu::always_inline]] static inline ScaleMin8 scale_min8(const uint8_t* scales) {
  uint32_t w[3];
  std::memcpy(w, scales, 12);
  const uint32_t sc_lo = w[0] & 0x3F3F3F3Fu, m_lo = w[1] & 0x3F3F3F3Fu;
  const uint32_t sc_hi = (w[2] & 0x0F0F0F0Fu) | ((w[0] >> 2) & 0x30303030u);
  const uint32_t m_hi = ((w[2] >> 4) & 0x0F0F0F0Fu) | ((w[1] >> 2) & 0x30303030u);
  const auto lanes = [](uint32_t lo, uint32_t hi) {
    const __m128i bytes = _mm_cvtsi64_si128(static_cast<int64_t>(lo | (static_cast<uint64_t>(hi) << 32)));
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
  };
  return {lanes(sc_lo, sc_hi), lanes(m_lo, m_hi)};
}

}  // namespace seek::kernels::avx2
