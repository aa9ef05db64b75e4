#include "core/quant_legacy.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace seek {

void dequantize_row_legacy(DType t, const uint8_t* x, float* y, int64_t n) {
  SEEK_ASSERT(dtype_is_legacy_quant(t) && n % 32 == 0);
  const size_t bytes = dtype_block_bytes(t);
  for (int64_t b = 0; b < n / 32; ++b)
    for (int i = 0; i < 32; ++i) y[b * 32 + i] = legacy_value(t, x + b * bytes, i);
}

namespace {

// The fields of a block being written, as legacy_fields finds them.
struct BlockOut {
  uint8_t* d;
  uint8_t* m;   // nullptr for q5_0
  uint8_t* qh;  // nullptr for q4_1
  uint8_t* qs;
};
BlockOut block_out(DType t, uint8_t* block) {
  return {block, t == DType::kQ5_0 ? nullptr : block + 2, t == DType::kQ4_1 ? nullptr : block + legacy_qh_at(t),
          block + legacy_qs_at(t)};
}

void put_f16(uint8_t* at, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(at, &h, 2);
}

}  // namespace

void quantize_row_legacy(DType t, const float* x, uint8_t* y, int64_t n) {
  SEEK_ASSERT(dtype_is_legacy_quant(t) && n % 32 == 0);
  const size_t bytes = dtype_block_bytes(t);
  const int top = t == DType::kQ4_1 ? 15 : 31;  // the largest level
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* xb = x + b * 32;
    const BlockOut out = block_out(t, y + b * bytes);
    // q = (x - base) / d + 0.5 (q5_0: + 16.5), truncated as ggml's reference does, so the levels are its bytes.
    float d, base = 0.0f, add = 0.5f;
    if (t == DType::kQ5_0) {
      float amax = 0.0f, max = 0.0f;  // the value of largest magnitude, with its sign
      for (int i = 0; i < 32; ++i)
        if (std::abs(xb[i]) > amax) amax = std::abs(xb[i]), max = xb[i];
      d = max / -16.0f;
      add = 16.5f;
    } else {
      float hi = xb[0];
      base = xb[0];
      for (int i = 1; i < 32; ++i) base = std::min(base, xb[i]), hi = std::max(hi, xb[i]);
      d = (hi - base) / static_cast<float>(top);
      put_f16(out.m, base);
    }
    put_f16(out.d, d);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    uint32_t qh = 0;
    for (int i = 0; i < 16; ++i) {
      const int q0 = std::min(top, static_cast<int>(static_cast<int8_t>((xb[i] - base) * id + add)));
      const int q1 = std::min(top, static_cast<int>(static_cast<int8_t>((xb[i + 16] - base) * id + add)));
      out.qs[i] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= static_cast<uint32_t>((q0 >> 4) & 1) << i | static_cast<uint32_t>((q1 >> 4) & 1) << (i + 16);
    }
    if (out.qh != nullptr) std::memcpy(out.qh, &qh, 4);
  }
}

}  // namespace seek
