// ggml's other 32-value block types: q4_1, q5_0 and q5_1. llama.cpp writes them where a K-quant does
// not fit a row (its Q4_K_M falls back to q5_0 and its Q5_K_M to q5_1 for rows that are not whole
// 256-value super-blocks: DeepSeek-V2-Lite's experts of 1,408, MLA's attn_k_b of 128), and older files
// use them throughout. Byte-identical to ggml-common.h.
//
//   q4_1  { f16 d; f16 m; u8 qs[16]; }            20 bytes    value = d·q + m, q in 0..15
//   q5_0  { f16 d; u8 qh[4]; u8 qs[16]; }         22 bytes    value = d·(q - 16), q in 0..31
//   q5_1  { f16 d; f16 m; u8 qh[4]; u8 qs[16]; }  24 bytes    value = d·q + m, q in 0..31
// As in q4_0, byte j of qs holds the low four bits of value j (low nibble) and of value j + 16 (high
// nibble); bit i of the little-endian word qh is bit 4 of value i.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/dtype.h"

namespace seek {

struct BlockQ4_1 {
  uint16_t d, m;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_1) == 20, "q4_1 block must match ggml (20 bytes)");

struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_0) == 22, "q5_0 block must match ggml (22 bytes)");

struct BlockQ5_1 {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_1) == 24, "q5_1 block must match ggml (24 bytes)");

// Where a block's fields start, after its f16 d: the f16 min m (q4_1, q5_1) at byte 2, then the fifth
// bits (q5_0, q5_1), then the 16 bytes of nibbles.
static constexpr int legacy_qh_at(DType t) { return t == DType::kQ5_0 ? 2 : 4; }  // q4_1 has none
static constexpr int legacy_qs_at(DType t) { return t == DType::kQ4_1 ? 4 : t == DType::kQ5_0 ? 6 : 8; }

// The three formats' fields, found from the type: the scale d, the min m (0 for q5_0, whose offset is
// the -16 in its levels), the packed nibbles and the fifth bits (nullptr for q4_1).
struct LegacyFields {
  float d, m;
  const uint8_t* qs;
  const uint8_t* qh;
};
static inline LegacyFields legacy_fields(DType t, const uint8_t* block) {
  uint16_t d, m = 0;
  std::memcpy(&d, block, 2);
  if (t != DType::kQ5_0) std::memcpy(&m, block + 2, 2);
  return {f16_to_f32(d), f16_to_f32(m), block + legacy_qs_at(t), t == DType::kQ4_1 ? nullptr : block + legacy_qh_at(t)};
}

// q of value i (0..31) of a block, unsigned as stored.
static inline int legacy_q(const LegacyFields& f, int i) {
  const int low = i < 16 ? (f.qs[i] & 0x0F) : (f.qs[i - 16] >> 4);
  if (f.qh == nullptr) return low;
  return low | (((f.qh[i / 8] >> (i % 8)) & 1) << 4);
}

// Value i of a block as ggml's dequantize_row_q4_1/q5_0/q5_1 computes it.
static inline float legacy_value(DType t, const uint8_t* block, int i) {
  const LegacyFields f = legacy_fields(t, block);
  if (t == DType::kQ5_0) return f.d * static_cast<float>(legacy_q(f, i) - 16);
  return f.d * static_cast<float>(legacy_q(f, i)) + f.m;
}

// n values (a multiple of 32) to f32, and back with ggml's reference quantisers (the per-block range
// split evenly; q5_0 symmetric with d = max / -16), the computation llama-quantize runs for these types
// without an importance matrix.
void dequantize_row_legacy(DType t, const uint8_t* x, float* y, int64_t n);
void quantize_row_legacy(DType t, const float* x, uint8_t* y, int64_t n);

}  // namespace seek
