// Two 32-value blocks per vector, as the AVX2 lanes of matmul_quant_avx2.cpp take q4_0, q4_K and the iq4
// types: block b's values 0-15 in the low 128-bit lane and b + 1's in the high (then their values 16-31),
// against x kept in the same order (QuantAct::q_pairs), so that a row's products for both blocks sit in
// one vector and the reduction over x rows stops at quads; and one block's nibbles alone (unpack_nibbles),
// as the one-row kernels and matmul_kquant_avx2.cpp's legacy and iq4 blocks take them. Include only from
// files compiled with the AVX2 flags; everything is `static inline` (internal linkage, see backend.h).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "core/quant_iq4.h"
#include "core/quant_k.h"
#include "kernels/cpu/block_scales_avx2.h"

namespace seek::kernels::avx2 {

// Where block b's sixteen bytes of nibbles start (q4_0's packing: iq4_nl, iq4_xs too).
template <DType W>
[[gnu::always_inline]] static inline const uint8_t* nibbles_at(const uint8_t* row, int64_t b) {
  if constexpr (W == DType::kIQ4_XS)
    return row + b / 8 * sizeof(BlockIQ4_XS) + offsetof(BlockIQ4_XS, qs) + 16 * (b % 8);
  return row + b * sizeof(BlockQ4_0) + offsetof(BlockQ4_0, qs);
}

// The 32 nibbles packed as q4_0's 16 bytes at qs (byte j: values j and j + 16), as bytes 0-15: the 16
// bytes in both lanes, shifted by 0 and 4.
[[gnu::always_inline]] static inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  return _mm256_and_si256(_mm256_srlv_epi32(q, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)),
                          _mm256_set1_epi8(0x0F));
}

// q4_0 blocks b and b + 1 (b even) unpacked together: the 16 bytes of each in its own 128-bit lane
// (b low), so one AND gives both blocks' values 0-15 and one shift and AND their values 16-31.
struct NibblePair {
  __m256i lo, hi;
};
[[gnu::always_inline]] static inline NibblePair load_nibble_pair(const uint8_t* row, int64_t b) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i w =
      _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(row + (b + 1) * sizeof(BlockQ4_0) + 2),
                          reinterpret_cast<const __m128i*>(row + b * sizeof(BlockQ4_0) + 2));
  return {_mm256_and_si256(w, low4), _mm256_and_si256(_mm256_srli_epi16(w, 4), low4)};
}

// q4_K's sub-blocks b and b + 1 (b even) as a NibblePair: they share the 32-byte run (b % 8) / 2 of
// their super-block, b in the low nibbles and b + 1 in the high, each in value order.
[[gnu::always_inline]] static inline NibblePair q4k_nibble_pair(const uint8_t* row, int64_t b) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const BlockQ4_K& s = *reinterpret_cast<const BlockQ4_K*>(row + b / 8 * sizeof(BlockQ4_K));
  const __m256i run = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.qs + 16 * (b % 8)));
  const __m256i first = _mm256_and_si256(run, low4),
                second = _mm256_and_si256(_mm256_srli_epi16(run, 4), low4);
  return {_mm256_permute2x128_si256(first, second, 0x20), _mm256_permute2x128_si256(first, second, 0x31)};
}

// Σ u·x of a nibble pair against x in q_pairs' order as 16 int16 lanes, 0-7 block b, 8-15 block b + 1,
// each the sum of four products (|Σ| <= 4 · 15 · 127 = 7620): the two halves' products are added as
// int16 before any widening.
[[gnu::always_inline]] static inline __m256i nibble_pair_products16(const NibblePair& w,
                                                                    const int8_t* xpair) {
  const __m256i x_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xpair));
  const __m256i x_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xpair + 32));
  return _mm256_add_epi16(_mm256_maddubs_epi16(w.lo, x_lo), _mm256_maddubs_epi16(w.hi, x_hi));
}

// iq4 blocks b and b + 1 (b even) as pairs (the nibbles as load_nibble_pair takes them; iq4_xs's two
// sub-blocks are one 32-byte run): levels L for the signs x takes, |L| to multiply.
struct LevelPair {
  __m256i abs_lo, abs_hi, lo, hi;
};
template <DType W>
[[gnu::always_inline]] static inline LevelPair level_pair(const uint8_t* row, int64_t b) {
  const __m256i low4 = _mm256_set1_epi8(0x0F), table = iq4_level_table();
  const __m256i w = W == DType::kIQ4_XS  // b and b + 1 are one 32-byte run of the same super-block
                        ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(nibbles_at<W>(row, b)))
                        : _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(nibbles_at<W>(row, b + 1)),
                                              reinterpret_cast<const __m128i*>(nibbles_at<W>(row, b)));
  const __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(w, low4));
  const __m256i hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(w, 4), low4));
  return {_mm256_abs_epi8(lo), _mm256_abs_epi8(hi), lo, hi};
}

// Σ L·x of a level pair against x in q_pairs' order as 8 int32 lanes, 0-3 block b, 4-7 block b + 1:
// ggml's q8_0 product (|L| against x with L's sign). A word of VPMADDUBSW's reaches 2·127·127, so
// each is widened before the halves are added (nibble_pair_products16 adds words: |u| <= 15).
[[gnu::always_inline]] static inline __m256i level_pair_products(const LevelPair& w, const int8_t* xpair,
                                                          const __m256i& ones) {
  const __m256i x_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xpair));
  const __m256i x_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xpair + 32));
  const __m256i lo = _mm256_maddubs_epi16(w.abs_lo, _mm256_sign_epi8(x_lo, w.lo));
  const __m256i hi = _mm256_maddubs_epi16(w.abs_hi, _mm256_sign_epi8(x_hi, w.hi));
  return _mm256_add_epi32(_mm256_madd_epi16(lo, ones), _mm256_madd_epi16(hi, ones));
}

}  // namespace seek::kernels::avx2
