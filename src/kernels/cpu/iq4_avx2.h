// iq4_nl/iq4_xs building blocks shared by the AVX2 quantised products (matmul_quant_avx2.cpp: their
// lanes for several x rows; matmul_kquant_avx2.cpp: one to three rows). Include only from files compiled
// with the AVX2 flags; everything is `static inline` (internal linkage, see backend.h).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/quant_iq4.h"

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

}  // namespace seek::kernels::avx2
