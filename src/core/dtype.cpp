#include "core/dtype.h"

#include <cmath>

#include "core/error.h"
#include "core/quant_iq4.h"
#include "core/quant_k.h"
#include "core/quant_legacy.h"

namespace seek {

int dtype_block_size(DType t) {
  switch (t) {
    case DType::kQ8_0: return kQK8_0;
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kIQ4_NL: return 32;
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kIQ4_XS: return kQK_K;
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kF8E4M3:
    case DType::kI32:
    case DType::kI64:
    case DType::kU8:
    case DType::kI8:
    case DType::kI16:
    case DType::kF64: return 1;
  }
  SEEK_ASSERT(false);
}

size_t dtype_block_bytes(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
    case DType::kF8E4M3: return 1;
    case DType::kQ8_0: return sizeof(BlockQ8_0);
    case DType::kQ4_0: return sizeof(BlockQ4_0);
    case DType::kQ4_K: return sizeof(BlockQ4_K);
    case DType::kQ5_K: return sizeof(BlockQ5_K);
    case DType::kQ6_K: return sizeof(BlockQ6_K);
    case DType::kQ2_K: return sizeof(BlockQ2_K);
    case DType::kQ3_K: return sizeof(BlockQ3_K);
    case DType::kQ4_1: return sizeof(BlockQ4_1);
    case DType::kQ5_0: return sizeof(BlockQ5_0);
    case DType::kQ5_1: return sizeof(BlockQ5_1);
    case DType::kIQ4_NL: return sizeof(BlockIQ4_NL);
    case DType::kIQ4_XS: return sizeof(BlockIQ4_XS);
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    case DType::kU8: return 1;
    case DType::kI8: return 1;
    case DType::kI16: return 2;
    case DType::kF64: return 8;
  }
  SEEK_ASSERT(false);
}

size_t dtype_row_bytes(DType t, int64_t n) {
  const int bs = dtype_block_size(t);
  SEEK_ASSERT_MSG(n % bs == 0, "row of " << n << " values is not a whole number of " << dtype_name(t) << " blocks");
  return static_cast<size_t>(n / bs) * dtype_block_bytes(t);
}

bool dtype_is_quantized(DType t) {
  return t == DType::kQ8_0 || t == DType::kQ4_0 || dtype_is_k_quant(t) || dtype_is_legacy_quant(t) ||
         dtype_is_iq4(t);
}
bool dtype_is_k_quant(DType t) {
  return t == DType::kQ2_K || t == DType::kQ3_K || t == DType::kQ4_K || t == DType::kQ5_K || t == DType::kQ6_K;
}
bool dtype_is_legacy_quant(DType t) { return t == DType::kQ4_1 || t == DType::kQ5_0 || t == DType::kQ5_1; }
bool dtype_is_iq4(DType t) { return t == DType::kIQ4_NL || t == DType::kIQ4_XS; }

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kF8E4M3: return "f8_e4m3";
    case DType::kQ8_0: return "q8_0";
    case DType::kQ4_0: return "q4_0";
    case DType::kQ4_K: return "q4_K";
    case DType::kQ5_K: return "q5_K";
    case DType::kQ6_K: return "q6_K";
    case DType::kQ2_K: return "q2_K";
    case DType::kQ3_K: return "q3_K";
    case DType::kQ4_1: return "q4_1";
    case DType::kQ5_0: return "q5_0";
    case DType::kQ5_1: return "q5_1";
    case DType::kIQ4_NL: return "iq4_nl";
    case DType::kIQ4_XS: return "iq4_xs";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kU8: return "u8";
    case DType::kI8: return "i8";
    case DType::kI16: return "i16";
    case DType::kF64: return "f64";
  }
  SEEK_ASSERT(false);
}

uint8_t f32_to_f8e4m3(float f) {
  const uint32_t u = bits_from_f32(f);
  const uint8_t sign = static_cast<uint8_t>((u >> 24) & 0x80u);
  if (std::isnan(f)) return static_cast<uint8_t>(sign | 0x7f);
  float a = std::fabs(f);
  if (a >= 448.0f) return static_cast<uint8_t>(sign | 0x7e);  // saturate to max finite
  if (a < 0.015625f) {
    // subnormal range (below 2^-6): multiples of 2^-9, round to nearest even
    const float q = std::nearbyint(a * 512.0f);  // default FP env rounds to nearest even
    return static_cast<uint8_t>(sign | static_cast<uint8_t>(q));  // q == 8 is the smallest normal
  }
  const uint32_t abs = bits_from_f32(a);
  // rebias exponent (127 -> 7) and round the 23-bit mantissa to 3 bits, nearest even
  uint32_t r = abs - (120u << 23);
  r += 0x7ffffu + ((r >> 20) & 1u);
  uint32_t out = r >> 20;
  if (out > 0x7e) out = 0x7e;
  return static_cast<uint8_t>(sign | out);
}

}  // namespace seek
