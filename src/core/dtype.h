// Element types and their storage layouts.
//
// Block-quantised types are byte-identical to ggml's (ggml-common.h):
//   q8_0: 32 values per block = { f16 d; int8 qs[32]; }          value_j = d * qs[j]
//   q4_0: 32 values per block = { f16 d; uint8 qs[16]; }         value_j = d * (nibble_j - 8)
//         where nibble_j = qs[j] & 0xF for j < 16 and qs[j-16] >> 4 for j >= 16.
//   q2_K, q3_K, q4_K, q5_K, q6_K: ggml's "K-quants", 256 values per super-block with 6- or 8-bit sub-block scales
//         (core/quant_k.h has their layouts and value formulas). seek reads and writes them; its own
//         quantisers fit the same formats (not llama-quantize's search, so not byte-identical).
//   q4_1, q5_0, q5_1: ggml's other 32-value blocks, with a min or a fifth bit (core/quant_legacy.h);
//         seek quantises them as ggml's reference does.
//   iq4_nl, iq4_xs: ggml's non-linear 4-bit types (core/quant_iq4.h): 32- and 256-value blocks whose
//         nibbles pick one of sixteen fixed levels.
// fp8 e4m3 ("e4m3fn": no infinities, 0x7F/0xFF are NaN, max 448) carries a separate f32 scale tensor
// of 128x128 blocks (DeepSeek-V3's weight_scale_inv); the dtype itself is only the element format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace seek {

enum class DType : uint8_t {
  kF32,
  kF16,
  kBF16,
  kF8E4M3,
  kQ8_0,
  kQ4_0,
  kI32,
  kI64,
  kU8,
  kI8,
  kI16,
  kF64,
  kQ4_K,
  kQ5_K,
  kQ6_K,
  kQ4_1,
  kQ5_0,
  kQ5_1,
  kQ2_K,
  kQ3_K,
  kIQ4_NL,
  kIQ4_XS,
};

constexpr int kQK8_0 = 32;  // values per q8_0 block
constexpr int kQK4_0 = 32;  // values per q4_0 block

struct BlockQ8_0 {
  uint16_t d;       // f16 scale
  int8_t qs[kQK8_0];
};
static_assert(sizeof(BlockQ8_0) == 34, "q8_0 block must match ggml (34 bytes)");

struct BlockQ4_0 {
  uint16_t d;            // f16 scale
  uint8_t qs[kQK4_0 / 2];  // low nibbles = values 0..15, high nibbles = values 16..31
};
static_assert(sizeof(BlockQ4_0) == 18, "q4_0 block must match ggml (18 bytes)");

// Values per storage block (1 for plain element types).
int dtype_block_size(DType t);
// Bytes per storage block.
size_t dtype_block_bytes(DType t);
// Bytes for a row of n values; n must be a multiple of dtype_block_size(t).
size_t dtype_row_bytes(DType t, int64_t n);
bool dtype_is_quantized(DType t);  // the block types: q8_0, q4_0, the K-quants, legacy and iq4
bool dtype_is_k_quant(DType t);    // q2_K .. q6_K (256-value super-blocks)
bool dtype_is_legacy_quant(DType t);  // q4_1, q5_0, q5_1 (32-value blocks with a min or a fifth bit)
bool dtype_is_iq4(DType t);           // iq4_nl, iq4_xs (nibbles index a table of levels)
std::string_view dtype_name(DType t);  // "f32", "bf16", "q8_0", ...

// ---- scalar conversions (exact, round-to-nearest-even where narrowing) ----
// These are `static inline` on purpose: translation units compiled with AVX-512 flags include this
// header, and a shared inline definition could otherwise be emitted with wide instructions and chosen
// by the linker for generic callers.

static inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static inline uint32_t bits_from_f32(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

static inline float bf16_to_f32(uint16_t h) { return f32_from_bits(static_cast<uint32_t>(h) << 16); }

static inline uint16_t f32_to_bf16(float f) {
  uint32_t u = bits_from_f32(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

static inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    if (mant == 0) return f32_from_bits(sign);
    // subnormal: value = mant * 2^-24
    float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (exp == 31) return f32_from_bits(sign | 0x7f800000u | (mant << 13));
  return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
}

static inline uint16_t f32_to_f16(float f) {
  const uint32_t u = bits_from_f32(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);   // NaN
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf (>= 65520)
  if (abs < 0x38800000u) {  // below smallest normal 2^-14: subnormal or zero
    // value / 2^-24, rounded to nearest even
    const float v = f32_from_bits(abs) * 16777216.0f;
    const float r = v + 12582912.0f - 12582912.0f;  // RNE via magic number (v < 1024)
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(r));
  }
  uint32_t m = abs + 0xc8000fffu + ((abs >> 13) & 1u);  // rebias exponent (-112 << 23) and round
  return static_cast<uint16_t>(sign | (m >> 13));
}

// fp8 e4m3fn -> f32 (exact).
static inline float f8e4m3_to_f32(uint8_t b) {
  const uint32_t sign = static_cast<uint32_t>(b & 0x80u) << 24;
  const uint32_t exp = (b >> 3) & 0xfu;
  const uint32_t mant = b & 0x7u;
  if (exp == 0xf && mant == 0x7) return f32_from_bits(sign | 0x7fc00000u);  // NaN
  if (exp == 0) {
    float v = static_cast<float>(mant) * 0.001953125f;  // mant * 2^-9
    return sign ? -v : v;
  }
  return f32_from_bits(sign | ((exp + 120) << 23) | (mant << 20));
}

// f32 -> fp8 e4m3fn, round to nearest even, saturating to +-448 (as torch's float8_e4m3fn cast does
// for finite inputs beyond range is undefined; we saturate, which is what quantisers want).
uint8_t f32_to_f8e4m3(float f);

}  // namespace seek
