// AVX-512 intrinsics on a CPU without AVX-512, so the *_avx512.cpp kernels can be tested anywhere.
//
// Force-included (-include) into those files by the SEEK_EMULATE_AVX512 build (tests/emulation/README.md):
// SIMDe supplies most intrinsics under their Intel names; the ones its Debian release lacks are written
// here, one lane at a time from the Intel SDM's definitions, so they are slow and plainly right. Masked
// loads and stores touch only the lanes their mask selects, as the hardware's do, so a sanitised build
// of the emulation sees the same memory accesses the real instructions make.
#pragma once

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace seek_avx512_emulation {

template <typename T, int N, typename V>
inline V masked_load(uint64_t k, const void* p, V src) {
  T lanes[N];
  std::memcpy(lanes, &src, sizeof(lanes));
  for (int i = 0; i < N; ++i) {
    if ((k >> i) & 1) std::memcpy(&lanes[i], static_cast<const T*>(p) + i, sizeof(T));
  }
  V out;
  std::memcpy(&out, lanes, sizeof(out));
  return out;
}

template <typename T, int N, typename V>
inline void masked_store(void* p, uint64_t k, V a) {
  T lanes[N];
  std::memcpy(lanes, &a, sizeof(lanes));
  for (int i = 0; i < N; ++i) {
    if ((k >> i) & 1) std::memcpy(static_cast<T*>(p) + i, &lanes[i], sizeof(T));
  }
}

// Lane-wise conversion of N lanes of From (in a vector of type VIn) into N lanes of To (in VOut).
template <typename To, typename From, int N, typename VOut, typename VIn, typename F>
inline VOut convert(VIn a, F&& f) {
  From in[N];
  To out[N];
  std::memcpy(in, &a, sizeof(in));
  for (int i = 0; i < N; ++i) out[i] = f(in[i]);
  VOut v;
  std::memset(&v, 0, sizeof(v));
  std::memcpy(&v, out, sizeof(out));
  return v;
}

// C++20 conversions: integers narrow modulo 2^n, as VPMOVDB truncates.
template <typename To, typename From>
inline To cast(From v) {
  return static_cast<To>(v);
}

// Integer lanes add modulo 2^n, as VPADDD/VPADDQ do.
template <typename T>
inline T add(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(x) + static_cast<U>(y));
  } else {
    return x + y;
  }
}

// MAXPS: the second operand when either is NaN.
template <typename T>
inline T max(T x, T y) {
  return x > y ? x : y;
}

// Round to nearest even, as the default MXCSR rounding of CVTPS2DQ; out of range or NaN gives INT32_MIN.
inline int32_t cvt_nearest(float x) {
  if (!(x >= -2147483648.0f && x < 2147483648.0f)) return INT32_MIN;
  return static_cast<int32_t>(__builtin_nearbyintf(x));
}

// VCVTNE2PS2BF16's rounding of one float: nearest even, NaN kept NaN (quiet), no exceptions.
inline uint16_t to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

// The horizontal reductions pair lanes i and i + N/2 down to one, the order GCC's own headers use.
template <typename T, int N, typename V, typename Op>
inline T reduce(V a, Op op) {
  T lanes[N];
  std::memcpy(lanes, &a, sizeof(lanes));
  for (int width = N / 2; width >= 1; width /= 2) {
    for (int i = 0; i < width; ++i) lanes[i] = op(lanes[i], lanes[i + width]);
  }
  return lanes[0];
}

template <typename To, typename From>
inline To bits(From a) {
  static_assert(sizeof(To) == sizeof(From));
  To out;
  std::memcpy(&out, &a, sizeof(out));
  return out;
}

inline simde__m256 extractf32x8(simde__m512 a, int imm) {
  return bits<simde__m256>(simde_mm512_extracti64x4_epi64(bits<simde__m512i>(a), imm));
}

// VCVTNE2PS2BF16: lanes 0-15 of the result are b's, 16-31 a's.
inline simde__m512bh cvtne2ps_pbh(simde__m512 a, simde__m512 b) {
  const simde__m256i lo = convert<uint16_t, float, 16, simde__m256i>(b, to_bf16);
  const simde__m256i hi = convert<uint16_t, float, 16, simde__m256i>(a, to_bf16);
  return bits<simde__m512bh>(simde_mm512_inserti64x4(simde_mm512_castsi256_si512(lo), hi, 1));
}

// VRNDSCALEPS: round to M = imm[7:4] fraction bits by mode imm[1:0] (imm[2]: MXCSR's, here nearest even).
inline simde__m512 roundscale_ps(simde__m512 a, int imm) {
  const float scale = static_cast<float>(1 << ((imm >> 4) & 15));
  const int mode = (imm & 4) ? 0 : (imm & 3);
  float lanes[16];
  std::memcpy(lanes, &a, 64);
  for (float& v : lanes) {
    const float s = v * scale;
    const float r = mode == 0 ? __builtin_nearbyintf(s) : mode == 1 ? __builtin_floorf(s)
                  : mode == 2 ? __builtin_ceilf(s) : __builtin_truncf(s);
    v = r / scale;
  }
  simde__m512 out;
  std::memcpy(&out, lanes, 64);
  return out;
}

inline simde__m512 cvtph_ps(simde__m256i a) {
  const __m128i lo = simde_mm256_castsi256_si128(a), hi = simde_mm256_extracti128_si256(a, 1);
  return simde_mm512_insertf32x8(simde_mm512_castps256_ps512(_mm256_cvtph_ps(lo)), _mm256_cvtph_ps(hi), 1);
}

// VPERMILPS / VPSHUFD with an immediate: lane j of each 128-bit block takes element (imm >> 2j) & 3.
template <typename V>
inline V permute_in_blocks(V a, int imm) {
  uint32_t in[16], out[16];
  std::memcpy(in, &a, 64);
  for (int i = 0; i < 16; ++i) out[i] = in[(i & ~3) + ((imm >> (2 * (i & 3))) & 3)];
  V v;
  std::memcpy(&v, out, 64);
  return v;
}

}  // namespace seek_avx512_emulation

#define SEEK_EMU seek_avx512_emulation

#define _mm_maskz_loadu_ps(k, p) SEEK_EMU::masked_load<float, 4>(k, p, simde_mm_setzero_ps())
#define _mm256_maskz_loadu_ps(k, p) SEEK_EMU::masked_load<float, 8>(k, p, simde_mm256_setzero_ps())
#define _mm512_maskz_loadu_ps(k, p) SEEK_EMU::masked_load<float, 16>(k, p, simde_mm512_setzero_ps())
#define _mm512_mask_loadu_ps(src, k, p) SEEK_EMU::masked_load<float, 16>(k, p, src)
#define _mm256_maskz_loadu_epi16(k, p) SEEK_EMU::masked_load<int16_t, 16>(k, p, simde_mm256_setzero_si256())
#define _mm512_maskz_loadu_epi16(k, p) SEEK_EMU::masked_load<int16_t, 32>(k, p, simde_mm512_setzero_si512())
#define _mm_mask_storeu_ps(p, k, a) SEEK_EMU::masked_store<float, 4>(p, k, a)
#define _mm512_mask_storeu_ps(p, k, a) SEEK_EMU::masked_store<float, 16>(p, k, a)

#define _mm512_cvtepi32_ps(a) \
  SEEK_EMU::convert<float, int32_t, 16, simde__m512>(a, SEEK_EMU::cast<float, int32_t>)
#define _mm512_cvtps_epi32(a) SEEK_EMU::convert<int32_t, float, 16, simde__m512i>(a, SEEK_EMU::cvt_nearest)
#define _mm512_cvtepi32_epi8(a) \
  SEEK_EMU::convert<int8_t, int32_t, 16, simde__m128i>(a, SEEK_EMU::cast<int8_t, int32_t>)
#define _mm512_cvtepi8_epi32(a) \
  SEEK_EMU::convert<int32_t, int8_t, 16, simde__m512i>(a, SEEK_EMU::cast<int32_t, int8_t>)
#define _mm512_cvtepu16_epi32(a) \
  SEEK_EMU::convert<int32_t, uint16_t, 16, simde__m512i>(a, SEEK_EMU::cast<int32_t, uint16_t>)
#define _mm512_cvtph_ps(a) SEEK_EMU::cvtph_ps(a)
#define _mm512_cvtne2ps_pbh(a, b) SEEK_EMU::cvtne2ps_pbh(a, b)

// SIMDe 0.7.4's own rounds to the wrong number of fraction bits.
#undef _mm512_roundscale_ps
#define _mm512_roundscale_ps(a, imm) SEEK_EMU::roundscale_ps(a, imm)
#define _mm512_extractf32x8_ps(a, imm) SEEK_EMU::extractf32x8(a, imm)
#define _mm512_shuffle_f32x4(a, b, imm) simde_mm512_shuffle_f32x4(a, b, imm)
#define _mm512_permute_ps(a, imm) SEEK_EMU::permute_in_blocks(a, imm)
#define _mm512_shuffle_epi32(a, imm) SEEK_EMU::permute_in_blocks(a, static_cast<int>(imm))
#define _mm512_mask_cmp_ps_mask(k, a, b, imm) \
  static_cast<simde__mmask16>((k) & simde_mm512_cmp_ps_mask(a, b, imm))

#define _mm512_reduce_add_ps(a) SEEK_EMU::reduce<float, 16>(a, SEEK_EMU::add<float>)
#define _mm512_reduce_max_ps(a) SEEK_EMU::reduce<float, 16>(a, SEEK_EMU::max<float>)
#define _mm512_reduce_add_epi32(a) SEEK_EMU::reduce<int32_t, 16>(a, SEEK_EMU::add<int32_t>)
#define _mm512_reduce_add_epi64(a) SEEK_EMU::reduce<int64_t, 8>(a, SEEK_EMU::add<int64_t>)
