// ggml's K-quants: 256 values per super-block, sub-blocks of 32 (q4_K, q5_K) or 16 (q6_K) values with
// their own quantised scales. Byte-identical to ggml-common.h, so llama.cpp's files (Q4_K_M, Q5_K_M,
// Q6_K, ...) run directly from their mapped blocks.
//
//   q4_K  { f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }            144 bytes, 4.5 bits per value
//         sub-block s (values 32s .. 32s + 31) has a 6-bit scale sc_s and 6-bit min m_s (scales[],
//         packed as k_scale_min below); value = d·sc_s · q - dmin·m_s, q in 0..15. Byte l of the
//         32-byte run c (c = s / 2) holds q of value 64c + l (low nibble) and 64c + 32 + l (high).
//   q5_K  { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }  176 bytes, 5.5 bits
//         as q4_K with q in 0..31: the fifth bit of value 32s + l is bit s of qh[l].
//   q6_K  { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }           210 bytes, 6.5 bits
//         16-value groups g with an int8 scale; value = d · scales[g] · (q - 32), q in 0..63. In each
//         128-value half (ql + 64h, qh + 32h), value 32u + l (u = 0..3, l = 0..31) takes its low four
//         bits from ql[l + 32 (u & 1)] (low nibble for u < 2, high for u >= 2) and its top two from
//         qh[l] >> 2u.
//   q2_K  { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin; }             84 bytes, 2.625 bits
//         16-value groups g: scales[g] holds a 4-bit scale (low nibble) and a 4-bit min (high);
//         value = d·(scales[g] & 15)·q - dmin·(scales[g] >> 4), q in 0..3. In each 128-value half h,
//         value 32j + l (j = 0..3) is bits 2j, 2j + 1 of qs[32h + l].
//   q3_K  { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d; }          110 bytes, 3.4375 bits
//         16-value groups with 6-bit scales stored + 32 (k3_scale below); value = d·(sc_g - 32)·(q - 4),
//         q in 0..7: its low two bits as q2_K's, its third bit is bit 4h + j of hmask[l].
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace seek {

constexpr int kQK_K = 256;  // values per K-quant super-block

struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ4_K) == 144, "q4_K block must match ggml (144 bytes)");

struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ5_K) == 176, "q5_K block must match ggml (176 bytes)");

struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210, "q6_K block must match ggml (210 bytes)");

struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d, dmin;
};
static_assert(sizeof(BlockQ2_K) == 84, "q2_K block must match ggml (84 bytes)");

struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};
static_assert(sizeof(BlockQ3_K) == 110, "q3_K block must match ggml (110 bytes)");

// The eight 6-bit scales and mins of a q4_K/q5_K super-block. scales[0..3] hold sc_0..3 in their low six
// bits, scales[4..7] m_0..3; scales[8..11] hold sc_4..7 (low nibble) and m_4..7 (high nibble), whose top
// two bits sit in the top bits of scales[0..3] (sc) and scales[4..7] (m).
struct KScaleMin {
  uint8_t sc[8], m[8];
};
static inline KScaleMin k_scale_min(const uint8_t* s) {
  KScaleMin r;
  for (int j = 0; j < 4; ++j) {
    r.sc[j] = s[j] & 63;
    r.m[j] = s[j + 4] & 63;
    r.sc[j + 4] = static_cast<uint8_t>((s[j + 8] & 0x0F) | ((s[j] >> 6) << 4));
    r.m[j + 4] = static_cast<uint8_t>((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
  }
  return r;
}

// q of value i (0..255) of a super-block, unsigned as stored (q6_K: 0..63, before the - 32).
static inline int q4_k_q(const BlockQ4_K& b, int i) {
  const uint8_t byte = b.qs[(i / 64) * 32 + i % 32];
  return (i % 64) < 32 ? (byte & 0x0F) : (byte >> 4);
}
static inline int q5_k_q(const BlockQ5_K& b, int i) {
  const uint8_t byte = b.qs[(i / 64) * 32 + i % 32];
  const int low = (i % 64) < 32 ? (byte & 0x0F) : (byte >> 4);
  return low | (((b.qh[i % 32] >> (i / 32)) & 1) << 4);
}
static inline int q6_k_q(const BlockQ6_K& b, int i) {
  const int half = i / 128, u = (i % 128) / 32, l = i % 32;
  const uint8_t lo = b.ql[64 * half + l + 32 * (u & 1)];
  const int low = u < 2 ? (lo & 0x0F) : (lo >> 4);
  return low | (((b.qh[32 * half + l] >> (2 * u)) & 3) << 4);
}

// q2_K/q3_K: the two low bits of value i, and q3_K's whole q (0..7, before the - 4).
static inline int k2_low(const uint8_t* qs, int i) { return (qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3; }
static inline int q3_k_q(const BlockQ3_K& b, int i) {
  return k2_low(b.qs, i) | (((b.hmask[i % 32] >> (4 * (i / 128) + (i % 128) / 32)) & 1) << 2);
}
// q3_K's 6-bit scale of 16-value group g (0..15), stored + 32: the low four bits are the low (g < 8) or
// high nibble of scales[g % 8], the top two are bits 2(g / 4), 2(g / 4) + 1 of scales[8 + g % 4].
static inline int k3_scale(const uint8_t* scales, int g) {
  const int low = g < 8 ? (scales[g % 8] & 0x0F) : (scales[g % 8] >> 4);
  return (low | (((scales[8 + g % 4] >> (2 * (g / 4))) & 3) << 4)) - 32;
}

// Value i of a K-quant super-block (any K type) as ggml's dequantize_row_q*_K computes it.
static inline float k_quant_value(DType wtype, const uint8_t* block, int i) {
  if (wtype == DType::kQ2_K) {
    const BlockQ2_K& b = *reinterpret_cast<const BlockQ2_K*>(block);
    const int sc = b.scales[i / 16];
    return f16_to_f32(b.d) * static_cast<float>(sc & 15) * static_cast<float>(k2_low(b.qs, i)) -
           f16_to_f32(b.dmin) * static_cast<float>(sc >> 4);
  }
  if (wtype == DType::kQ3_K) {
    const BlockQ3_K& b = *reinterpret_cast<const BlockQ3_K*>(block);
    return f16_to_f32(b.d) * static_cast<float>(k3_scale(b.scales, i / 16)) * static_cast<float>(q3_k_q(b, i) - 4);
  }
  if (wtype == DType::kQ6_K) {
    const BlockQ6_K& b = *reinterpret_cast<const BlockQ6_K*>(block);
    return f16_to_f32(b.d) * static_cast<float>(b.scales[i / 16]) * static_cast<float>(q6_k_q(b, i) - 32);
  }
  const BlockQ4_K& head = *reinterpret_cast<const BlockQ4_K*>(block);  // q5_K starts the same way
  const KScaleMin sm = k_scale_min(head.scales);
  const int s = i / 32;
  const int q = wtype == DType::kQ4_K ? q4_k_q(head, i) : q5_k_q(*reinterpret_cast<const BlockQ5_K*>(block), i);
  return f16_to_f32(head.d) * static_cast<float>(sm.sc[s]) * static_cast<float>(q) -
         f16_to_f32(head.dmin) * static_cast<float>(sm.m[s]);
}

// n values (a multiple of 256) of each format to f32, as ggml's dequantize_row_q*_K computes them
// (q4_K/q5_K: (d·sc) · q - (dmin·m), each product rounded to f32; q6_K: (d · sc) · (q - 32)).
void dequantize_row_q4_k(const BlockQ4_K* x, float* y, int64_t n);
void dequantize_row_q5_k(const BlockQ5_K* x, float* y, int64_t n);
void dequantize_row_q6_k(const BlockQ6_K* x, float* y, int64_t n);
void dequantize_row_q2_k(const BlockQ2_K* x, float* y, int64_t n);
void dequantize_row_q3_k(const BlockQ3_K* x, float* y, int64_t n);

// Quantisers: per sub-block the scale (and min) that minimise the squared error over a few candidate
// ranges, then those scales quantised to 6 (q6_K: 8) bits against the super-block's d (and dmin) and
// every value quantised again against the scale it will be read with.
void quantize_row_q4_k(const float* x, BlockQ4_K* y, int64_t n);
void quantize_row_q5_k(const float* x, BlockQ5_K* y, int64_t n);
void quantize_row_q6_k(const float* x, BlockQ6_K* y, int64_t n);
void quantize_row_q2_k(const float* x, BlockQ2_K* y, int64_t n);
void quantize_row_q3_k(const float* x, BlockQ3_K* y, int64_t n);

}  // namespace seek
