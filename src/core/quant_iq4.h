// ggml's non-linear 4-bit types, iq4_nl and iq4_xs. A nibble does not scale linearly: it picks one of
// sixteen fixed int8 levels, closer together near zero where most weights lie. llama.cpp's quantiser
// writes iq4_nl wherever a q2_K, q3_K or iq4_xs does not fit a row (rows that are not whole 256-value
// super-blocks: DeepSeek-V2/V3's attn_k_b of 128, V2-Lite's experts of 1,408), so its Q2_K/Q3_K files
// of the DeepSeek models hold it; iq4_xs is a file type of its own (4.25 bits a weight). Byte-identical
// to ggml-common.h:
//
//   iq4_nl  { f16 d; u8 qs[16]; }                                 18 bytes / 32 values
//           value = d·L[q]
//   iq4_xs  { f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]; }  136 bytes / 256 values
//           value = d·(ls_s - 32)·L[q] in sub-block s
//
// L = kIq4Levels. Each 32 values (iq4_xs: sub-block s = values 32s..32s + 31, its 16 bytes qs[16s..])
// are packed as q4_0's: byte j holds value j (low nibble) and value j + 16 (high). iq4_xs's 6-bit
// sub-block scale ls_s is nibble s of scales_l (low nibble first) with bits 2s, 2s + 1 of scales_h on top.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/dtype.h"

namespace seek {

inline constexpr int8_t kIq4Levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                          1,    13,   25,  38,  53,  69,  89,  113};

struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockIQ4_NL) == 18, "iq4_nl block must match ggml (18 bytes)");

struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[4];
  uint8_t qs[128];
};
static_assert(sizeof(BlockIQ4_XS) == 136, "iq4_xs block must match ggml (136 bytes)");

// The level index (0..15) of value i (0..31) of the 32 values packed at qs.
static inline int iq4_index(const uint8_t* qs, int i) { return i < 16 ? (qs[i] & 0x0F) : (qs[i - 16] >> 4); }

// iq4_xs sub-block s's scale, ls_s - 32 (-32..31).
static inline int iq4_xs_scale(const BlockIQ4_XS& b, int s) {
  const int low = (b.scales_l[s / 2] >> (4 * (s % 2))) & 0x0F;
  return (low | (((b.scales_h >> (2 * s)) & 3) << 4)) - 32;
}

// Value i of a block (iq4_nl: 0..31, iq4_xs: 0..255) as ggml's dequantize_row_iq4_nl/iq4_xs computes it.
static inline float iq4_value(DType t, const uint8_t* block, int i) {
  uint16_t d;
  std::memcpy(&d, block, 2);
  if (t == DType::kIQ4_NL) return f16_to_f32(d) * static_cast<float>(kIq4Levels[iq4_index(block + 2, i)]);
  const BlockIQ4_XS& b = *reinterpret_cast<const BlockIQ4_XS*>(block);
  const float dl = f16_to_f32(d) * static_cast<float>(iq4_xs_scale(b, i / 32));
  return dl * static_cast<float>(kIq4Levels[iq4_index(b.qs + 16 * (i / 32), i % 32)]);
}

// n values (a multiple of the block size) to f32, and back. The quantiser is seek's own, for the same
// formats: each 32 values get the scale that best fits them to the levels (a search over candidates
// weighted by x², as ggml's does without an importance matrix), and iq4_xs then stores those scales in
// 6 bits against one f16 d.
void dequantize_row_iq4(DType t, const uint8_t* x, float* y, int64_t n);
void quantize_row_iq4(DType t, const float* x, uint8_t* y, int64_t n);

}  // namespace seek
