// Reductions of int8 products' partial sums across vectors, shared by the AVX2 quantised dot products
// (matmul_quant_avx2.cpp: q8_0/q4_0; matmul_kquant_avx2.cpp: the K-quants): each turns N vectors of
// partial sums into one vector whose lane c holds vector c's total. Include only from files compiled
// with the AVX2 flags; everything is `static inline` (internal linkage, see backend.h).
#pragma once

#include <immintrin.h>

namespace seek::kernels::avx2 {

// quads[q], per 128-bit half: lane c = the sum of s[4q + c]'s four lanes in that half (N = 4 or 8).
template <int N>
[[gnu::always_inline]] static inline void reduce_quads(const __m256i s[N], __m256i quads[N / 4]) {
  __m256i a[N / 2];
#pragma GCC unroll 4
  for (int i = 0; i < N / 2; ++i)  // [s0_0+s0_2, s1_0+s1_2, s0_1+s0_3, s1_1+s1_3 | the same for lanes 4..7]
    a[i] = _mm256_add_epi32(_mm256_unpacklo_epi32(s[2 * i], s[2 * i + 1]),
                            _mm256_unpackhi_epi32(s[2 * i], s[2 * i + 1]));
#pragma GCC unroll 2
  for (int i = 0; i < N / 4; ++i)
    quads[i] = _mm256_add_epi32(_mm256_unpacklo_epi64(a[2 * i], a[2 * i + 1]),
                                _mm256_unpackhi_epi64(a[2 * i], a[2 * i + 1]));
}

// Lane c of the result: the sum of s[c]'s eight lanes.
[[gnu::always_inline]] static inline __m256i reduce8_epi32(const __m256i s[8]) {
  __m256i b[2];
  reduce_quads<8>(s, b);
  return _mm256_add_epi32(_mm256_permute2x128_si256(b[0], b[1], 0x20),
                          _mm256_permute2x128_si256(b[0], b[1], 0x31));
}

// reduce_quads for N (4 or 8) vectors of products still in int16: quads[q], per 128-bit half, lane c =
// the sum of s[4q + c]'s eight words in that half. The first two rounds of the reduction add words,
// so only the last widens, one VPMADDWD per four vectors instead of one each: 20 steps for eight
// against 26. Two rounds multiply a word's bound by four, so input words must stay within ±8191:
// q4_0's nibble pairs reach 7620 (30480 after; an x of -128, which only a NaN quantises to, gives
// 30720), q4_K's products 3810, q5_K's 7874. The integer sums are the same, so are the results.
// One core, data in L2 (q4_0, n = 256, k = 2048, min of 30 x 20 calls, four alternating rounds): one
// x row 15.8-16.0 us against 17.0-17.2 with a widening per product; eight rows 74.9-75.7 against
// 77.2-81.7.
template <int N>
[[gnu::always_inline]] static inline void fold_quads16(const __m256i s[N], __m256i quads[N / 4], const __m256i& ones) {
  __m256i a[N / 2];
#pragma GCC unroll 4
  for (int i = 0; i < N / 2; ++i)
    a[i] = _mm256_add_epi16(_mm256_unpacklo_epi32(s[2 * i], s[2 * i + 1]),
                            _mm256_unpackhi_epi32(s[2 * i], s[2 * i + 1]));
#pragma GCC unroll 2
  for (int i = 0; i < N / 4; ++i)
    quads[i] = _mm256_madd_epi16(_mm256_add_epi16(_mm256_unpacklo_epi64(a[2 * i], a[2 * i + 1]),
                                                  _mm256_unpackhi_epi64(a[2 * i], a[2 * i + 1])),
                                 ones);
}

// Lane c of the result: the sum of s[c]'s sixteen words (each within ±8191, as fold_quads16 needs).
[[gnu::always_inline]] static inline __m256i fold8_epi16(const __m256i s[8]) {
  __m256i b[2];
  fold_quads16<8>(s, b, _mm256_set1_epi16(1));
  return _mm256_add_epi32(_mm256_permute2x128_si256(b[0], b[1], 0x20),
                          _mm256_permute2x128_si256(b[0], b[1], 0x31));
}

}  // namespace seek::kernels::avx2
