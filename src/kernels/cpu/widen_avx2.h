// Float weight values widened to f32, eight at a time: the one loader the AVX2 matmul paths share
// (dot-product tiles, GEMM panel packing, w_kn rows). Include only from files compiled with the AVX2
// flags; everything is `static inline` (internal linkage, see backend.h).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "core/dtype.h"
#include "kernels/cpu/fp8_avx2.h"
#include "kernels/cpu/simd_avx2.h"

namespace seek::kernels::avx2 {

// Values p[0 .. count) of a weight row of type W as f32, zero past count (1 <= count <= 8; 8 loads
// the whole vector). FP8 e4m3 values come out / 256 (kFp8Unit goes into the block scale, fp8_avx2.h).
template <DType W>
static inline __m256 widen8(const uint8_t* p, int count) {
  static_assert(W == DType::kF32 || W == DType::kF16 || W == DType::kBF16 || W == DType::kF8E4M3,
                "float weight types only");
  if constexpr (W == DType::kF32) {
    const float* f = reinterpret_cast<const float*>(p);
    return count == 8 ? _mm256_loadu_ps(f) : _mm256_maskload_ps(f, tail_mask(count));
  } else if constexpr (W == DType::kF8E4M3) {
    return count == 8 ? fp8x8_div256(p) : fp8_tail_div256(p, count);
  } else {
    __m128i h;
    if (count == 8) {
      h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    } else {
      alignas(16) uint16_t tmp[8] = {};
      __builtin_memcpy(tmp, p, static_cast<size_t>(count) * 2);
      h = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
    }
    if constexpr (W == DType::kF16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
}

// Bytes per value of a float weight type W.
template <DType W>
constexpr int64_t kWidenBytes = W == DType::kF32 ? 4 : W == DType::kF8E4M3 ? 1 : 2;

}  // namespace seek::kernels::avx2
