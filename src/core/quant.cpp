#include "core/quant.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/quant_iq4.h"
#include "core/quant_k.h"
#include "core/quant_legacy.h"

namespace seek {

void dequantize_row(DType dtype, const void* src, float* dst, int64_t n) {
  switch (dtype) {
    case DType::kF32: std::memcpy(dst, src, static_cast<size_t>(n) * 4); return;
    case DType::kF16: {
      const uint16_t* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
      return;
    }
    case DType::kBF16: {
      const uint16_t* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case DType::kF8E4M3: {
      const uint8_t* s = static_cast<const uint8_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = f8e4m3_to_f32(s[i]);
      return;
    }
    case DType::kQ8_0: {
      SEEK_ASSERT(n % kQK8_0 == 0);
      const BlockQ8_0* b = static_cast<const BlockQ8_0*>(src);
      for (int64_t i = 0; i < n / kQK8_0; ++i) {
        const float d = f16_to_f32(b[i].d);
        for (int j = 0; j < kQK8_0; ++j) dst[i * kQK8_0 + j] = d * static_cast<float>(b[i].qs[j]);
      }
      return;
    }
    case DType::kQ4_0: {
      SEEK_ASSERT(n % kQK4_0 == 0);
      const BlockQ4_0* b = static_cast<const BlockQ4_0*>(src);
      for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const float d = f16_to_f32(b[i].d);
        for (int j = 0; j < kQK4_0 / 2; ++j) {
          dst[i * kQK4_0 + j] = d * static_cast<float>((b[i].qs[j] & 0x0f) - 8);
          dst[i * kQK4_0 + j + kQK4_0 / 2] = d * static_cast<float>((b[i].qs[j] >> 4) - 8);
        }
      }
      return;
    }
    case DType::kQ4_K: return dequantize_row_q4_k(static_cast<const BlockQ4_K*>(src), dst, n);
    case DType::kQ5_K: return dequantize_row_q5_k(static_cast<const BlockQ5_K*>(src), dst, n);
    case DType::kQ6_K: return dequantize_row_q6_k(static_cast<const BlockQ6_K*>(src), dst, n);
    case DType::kQ2_K: return dequantize_row_q2_k(static_cast<const BlockQ2_K*>(src), dst, n);
    case DType::kQ3_K: return dequantize_row_q3_k(static_cast<const BlockQ3_K*>(src), dst, n);
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1: return dequantize_row_legacy(dtype, static_cast<const uint8_t*>(src), dst, n);
    case DType::kIQ4_NL:
    case DType::kIQ4_XS: return dequantize_row_iq4(dtype, static_cast<const uint8_t*>(src), dst, n);
    case DType::kI32: {
      const int32_t* s = static_cast<const int32_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
      return;
    }
    case DType::kI64: {
      const int64_t* s = static_cast<const int64_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
      return;
    }
    case DType::kU8: {
      const uint8_t* s = static_cast<const uint8_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
      return;
    }
    case DType::kI8: {
      const int8_t* s = static_cast<const int8_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
      return;
    }
    case DType::kI16: {
      const int16_t* s = static_cast<const int16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
      return;
    }
    case DType::kF64: {
      const double* s = static_cast<const double*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
      return;
    }
  }
  SEEK_ASSERT(false);
}

float signed_absmax(const float* v, int64_t n) {
  float amax = 0.0f, max = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    if (std::fabs(v[i]) > amax) {
      amax = std::fabs(v[i]);
      max = v[i];
    }
  }
  return max;
}

static void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    float amax = 0.0f;
    for (int j = 0; j < kQK8_0; ++j) amax = std::max(amax, std::fabs(x[i * kQK8_0 + j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    for (int j = 0; j < kQK8_0; ++j) y[i].qs[j] = static_cast<int8_t>(std::round(x[i * kQK8_0 + j] * id));
  }
}

static void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const float* xb = x + i * kQK4_0;
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK4_0; ++j) {
      if (std::fabs(xb[j]) > amax) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>(xb[j] * id + 8.5f)));
      const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>(xb[j + kQK4_0 / 2] * id + 8.5f)));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row(DType dtype, const float* src, void* dst, int64_t n) {
  switch (dtype) {
    case DType::kF32: std::memcpy(dst, src, static_cast<size_t>(n) * 4); return;
    case DType::kF16: {
      uint16_t* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(src[i]);
      return;
    }
    case DType::kBF16: {
      uint16_t* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::kF8E4M3: {
      uint8_t* d = static_cast<uint8_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f8e4m3(src[i]);
      return;
    }
    case DType::kQ8_0:
      SEEK_ASSERT(n % kQK8_0 == 0);
      quantize_row_q8_0(src, static_cast<BlockQ8_0*>(dst), n);
      return;
    case DType::kQ4_0:
      SEEK_ASSERT(n % kQK4_0 == 0);
      quantize_row_q4_0(src, static_cast<BlockQ4_0*>(dst), n);
      return;
    case DType::kQ4_K: return quantize_row_q4_k(src, static_cast<BlockQ4_K*>(dst), n);
    case DType::kQ5_K: return quantize_row_q5_k(src, static_cast<BlockQ5_K*>(dst), n);
    case DType::kQ6_K: return quantize_row_q6_k(src, static_cast<BlockQ6_K*>(dst), n);
    case DType::kQ2_K: return quantize_row_q2_k(src, static_cast<BlockQ2_K*>(dst), n);
    case DType::kQ3_K: return quantize_row_q3_k(src, static_cast<BlockQ3_K*>(dst), n);
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1: return quantize_row_legacy(dtype, src, static_cast<uint8_t*>(dst), n);
    case DType::kIQ4_NL:
    case DType::kIQ4_XS: return quantize_row_iq4(dtype, src, static_cast<uint8_t*>(dst), n);
    case DType::kI32:
    case DType::kI64:
    case DType::kU8:
    case DType::kI8:
    case DType::kI16:
    case DType::kF64: break;
  }
  SEEK_FAIL("cannot quantize to " << dtype_name(dtype));
}

}  // namespace seek
