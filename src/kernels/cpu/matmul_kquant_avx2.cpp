// K-quant weights (q2_K .. q6_K: core/quant_k.h) on AVX2, read from their blocks in place, against
// x quantised to q8_0 (quantise_x, matmul_quant_avx2.cpp). A 256-value super-block meets eight 32-value
// x blocks: each sub-block's integer products are reduced into lane s of one vector (as q4_0's eight
// blocks are), then converted once and scaled by the eight sub-blocks' scales times x's eight block
// scales with one FMA:
//   q4_K, q5_K  Σ_s (d·sc_s)·dx_s · Σ q·x  -  (dmin·m_s)·dx_s · Σ x   (q unsigned, the min taken away
//               through x's block sums, which quantise_x stores as 8·Σ x)
//   q6_K        Σ_s d·dx_s · Σ_g∈s sc_g · Σ (q - 32)·x   (16-value groups' int8 scales applied in int32)
//   q3_K        the same with q - 4 and 6-bit group scales
//   q2_K        Σ_s d·dx_s · Σ_g∈s sc_g · Σ q·x  -  dmin·dx_s · Σ_g∈s m_g · Σ x   (both sums in int32)
// where the 16-value groups' Σ x (q6_K's and q3_K's offsets, q2_K's mins) come from sums quantise_x
// stores per 16 values, one VPMADDWD against the group scales or mins per super-block and x row, as
// llama.cpp's q8_K block sums serve them;
// the same integers and scale products as the reference (ref/matmul_ref.cpp), summed in another order.
// q4_1, q5_0 and q5_1 (core/quant_legacy.h) take the same path eight 32-value blocks at a time, as if
// the eight were a super-block whose sub-block scales are the blocks' own d (and mins their m; q5_0's
// -16 is taken away as 2·(8·Σ x) in int32); a row's last 1-7 blocks form a short group. iq4_nl takes it
// too, and iq4_xs as a super-block whose sub-block scales are d·(ls_s - 32): their nibbles pick int8
// levels (core/quant_iq4.h) by VPSHUFB, multiplied as ggml's q8_0 dot does, |L| against x with L's sign.
// q4_K and the iq4 types come here for one to three x rows only; more take matmul_quant_avx2.cpp's lanes.
// llama.cpp quantises x to q8_K (one scale per 256 values) for these; seek keeps its q8_0 activations,
// finer-grained, so one activation format serves every quantised weight type.
#include <immintrin.h>

#include <cstring>

#include "core/dtype.h"
#include "core/quant_iq4.h"
#include "core/quant_k.h"
#include "core/quant_legacy.h"
#include "kernels/backend.h"
#include "kernels/cpu/block_pairs_avx2.h"
#include "kernels/cpu/block_scales_avx2.h"
#include "kernels/cpu/int8_reduce_avx2.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/simd_avx2.h"

namespace seek::kernels::avx2 {
namespace {

template <DType W>
constexpr bool kLegacy = W == DType::kQ4_1 || W == DType::kQ5_0 || W == DType::kQ5_1;
template <DType W>
constexpr bool kIq4 = W == DType::kIQ4_NL || W == DType::kIQ4_XS;
// 32-value block types, read as groups of eight blocks (a row's last 1-7 as a short group).
template <DType W>
constexpr bool kEightBlocks = kLegacy<W> || W == DType::kIQ4_NL;
// Types with a min term: q4_K/q5_K/q4_1/q5_1 through x's block sums, q2_K through its group mins.
template <DType W>
constexpr bool kHasMin = W == DType::kQ4_K || W == DType::kQ5_K || W == DType::kQ4_1 || W == DType::kQ5_1 ||
                         W == DType::kQ2_K;
// Bytes of one 256-value group: a super-block, or eight 32-value blocks.
template <DType W>
constexpr int64_t kGroupBytes = W == DType::kQ2_K    ? sizeof(BlockQ2_K)
                                : W == DType::kQ3_K  ? sizeof(BlockQ3_K)
                                : W == DType::kQ4_K  ? sizeof(BlockQ4_K)
                                : W == DType::kQ5_K  ? sizeof(BlockQ5_K)
                                : W == DType::kQ6_K  ? sizeof(BlockQ6_K)
                                : W == DType::kIQ4_XS ? sizeof(BlockIQ4_XS)
                                : W == DType::kIQ4_NL ? 8 * sizeof(BlockIQ4_NL)
                                : W == DType::kQ4_1  ? 8 * sizeof(BlockQ4_1)
                                : W == DType::kQ5_0  ? 8 * sizeof(BlockQ5_0)
                                                     : 8 * sizeof(BlockQ5_1);
template <DType W>
constexpr int64_t kBlockBytes = kGroupBytes<W> / 8;  // kEightBlocks types

__m256i load32(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// A super-block's levels, unsigned, one vector per 32-value sub-block s in x's order; for q6_K also
// its group scales as words (low 128-bit half: group 2s, high half: group 2s + 1).
struct Unpacked {
  __m256i q[8];             // iq4: |L|
  __m256i levels[8];        // iq4 only: L, whose signs x takes
  __m256i group_scales[8];  // q6_K, q3_K, q2_K
  __m256i scales16;         // q6_K, q3_K, q2_K: the sixteen group scales as words, in group order
  __m256i mins16;           // q2_K: its sixteen group mins likewise
};

// A super-block's sixteen group scales (int8, in group order) as words: group_scales[s] holds group 2s
// in every word of its low 128-bit half and group 2s + 1 in its high half.
[[gnu::always_inline]] inline void group_scale_words(const __m128i scales, Unpacked& u) {
  const __m256i sc16 = _mm256_cvtepi8_epi16(scales);
  u.scales16 = sc16;
#pragma GCC unroll 2
  for (int half = 0; half < 2; ++half) {
    const __m256i these = _mm256_permute4x64_epi64(sc16, half == 0 ? 0x44 : 0xEE);  // this half's eight
#pragma GCC unroll 4
    for (int t = 0; t < 4; ++t) {
      const char lo = static_cast<char>(4 * t), hi = static_cast<char>(4 * t + 2);  // bytes of words 2t, 2t + 1
      const __m256i pick = _mm256_setr_epi8(lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1,
                                            lo, lo + 1, lo, lo + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1,
                                            hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1);
      u.group_scales[4 * half + t] = _mm256_shuffle_epi8(these, pick);
    }
  }
}

// Bit i of the little-endian word at qh as 0x10 in byte i: q5_0/q5_1's fifth bits in place.
[[gnu::always_inline]] inline __m256i fifth_bits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  const __m256i spread = _mm256_shuffle_epi8(  // byte i <- byte i / 8 of the word
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201));  // bit i % 8
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

// The group's first `count` blocks (legacy types; K-quants always 8), the rest zero.
template <DType W>
[[gnu::always_inline]] inline void unpack(const uint8_t* block, int count, Unpacked& u) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  if constexpr (kIq4<W>) {  // q4_0's nibble order per 32 values, then the levels they pick
    const __m256i table = iq4_level_table();
#pragma GCC unroll 8
    for (int c = 0; c < 8; ++c) {
      if (c >= count) {
        u.q[c] = u.levels[c] = _mm256_setzero_si256();
        continue;
      }
      u.levels[c] = _mm256_shuffle_epi8(table, unpack_nibbles(nibbles_at<W>(block, c)));
      u.q[c] = _mm256_abs_epi8(u.levels[c]);
    }
    return;
  }
  if constexpr (kLegacy<W>) {  // values 0-15 from the low nibbles, 16-31 from the high (as q4_0)
#pragma GCC unroll 8
    for (int c = 0; c < 8; ++c) {
      if (c >= count) {
        u.q[c] = _mm256_setzero_si256();
        continue;
      }
      const uint8_t* b = block + c * kBlockBytes<W>;
      u.q[c] = unpack_nibbles(b + legacy_qs_at(W));
      if constexpr (W != DType::kQ4_1) u.q[c] = _mm256_or_si256(u.q[c], fifth_bits(b + legacy_qh_at(W)));
    }
    return;
  }
  if constexpr (W == DType::kQ6_K) {
    const BlockQ6_K& b = *reinterpret_cast<const BlockQ6_K*>(block);
    const __m256i top2 = _mm256_set1_epi8(0x30);
    group_scale_words(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)), u);
#pragma GCC unroll 2
    for (int half = 0; half < 2; ++half) {
      const __m256i l0 = load32(b.ql + 64 * half), l1 = load32(b.ql + 64 * half + 32);
      const __m256i h = load32(b.qh + 32 * half);
      u.q[4 * half + 0] = _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(h, 4), top2));
      u.q[4 * half + 1] = _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(h, 2), top2));
      u.q[4 * half + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(h, top2));
      u.q[4 * half + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                          _mm256_and_si256(_mm256_srli_epi16(h, 2), top2));
    }
    return;
  }
  if constexpr (W == DType::kQ2_K || W == DType::kQ3_K) {
    // Sub-block s = 4h + j: bits 2j, 2j + 1 of the 32 bytes qs[32h ..]; q3_K's third bit is bit s of hmask.
    const uint8_t* qs = W == DType::kQ2_K ? reinterpret_cast<const BlockQ2_K*>(block)->qs
                                          : reinterpret_cast<const BlockQ3_K*>(block)->qs;
    const __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
#pragma GCC unroll 2
    for (int half = 0; half < 2; ++half) {
      const __m256i q = load32(qs + 32 * half);
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) u.q[4 * half + j] = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), three);
    }
    if constexpr (W == DType::kQ3_K) {
      const BlockQ3_K& b = *reinterpret_cast<const BlockQ3_K*>(block);
      const __m256i hm = load32(b.hmask);
#pragma GCC unroll 8
      for (int s = 0; s < 8; ++s)  // bits that cross into the byte below are masked off by the AND
        u.q[s] = _mm256_or_si256(u.q[s], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, s), one), 2));
      // k3_scale's unpacking, four groups per word (as ggml's dequantize_row_q3_K does it), then - 32.
      uint32_t a[4];
      std::memcpy(a, b.scales, 12);
      const uint32_t top = a[2];
      a[2] = ((a[0] >> 4) & 0x0F0F0F0Fu) | (((top >> 4) & 0x03030303u) << 4);
      a[3] = ((a[1] >> 4) & 0x0F0F0F0Fu) | (((top >> 6) & 0x03030303u) << 4);
      a[0] = (a[0] & 0x0F0F0F0Fu) | ((top & 0x03030303u) << 4);
      a[1] = (a[1] & 0x0F0F0F0Fu) | (((top >> 2) & 0x03030303u) << 4);
      // Set from registers: stored and loaded as 16 bytes, the four words missed store forwarding
      // (one core, data in L2, n = 256, k = 2048: 54.9 us a product against 33.3).
      const __m128i scales = _mm_set_epi32(static_cast<int>(a[3]), static_cast<int>(a[2]), static_cast<int>(a[1]),
                                           static_cast<int>(a[0]));
      group_scale_words(_mm_sub_epi8(scales, _mm_set1_epi8(32)), u);
    } else {
      const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const BlockQ2_K*>(block)->scales));
      group_scale_words(_mm_and_si128(packed, _mm_set1_epi8(0x0F)), u);
      u.mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)));
    }
    return;
  }
  const uint8_t* qs = W == DType::kQ4_K ? reinterpret_cast<const BlockQ4_K*>(block)->qs
                                        : reinterpret_cast<const BlockQ5_K*>(block)->qs;
  __m256i high = W == DType::kQ5_K ? load32(reinterpret_cast<const BlockQ5_K*>(block)->qh) : _mm256_setzero_si256();
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {  // the 32-byte run c: sub-blocks 2c (low nibbles) and 2c + 1 (high)
    const __m256i packed = load32(qs + 32 * c);
    u.q[2 * c] = _mm256_and_si256(packed, low4);
    u.q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
    if constexpr (W == DType::kQ5_K) {  // bit s of qh[l] is bit 4 of sub-block s's value l
#pragma GCC unroll 2
      for (int v = 0; v < 2; ++v) {
        u.q[2 * c + v] =
            _mm256_or_si256(u.q[2 * c + v], _mm256_and_si256(_mm256_slli_epi16(high, 4), _mm256_set1_epi8(0x10)));
        high = _mm256_srli_epi16(high, 1);  // bits that cross into the byte below are masked off above
      }
    }
  }
}

// Lane s: sub-block s's integer sum against x blocks xq[0..8) (one x row): q4_K/q5_K and the legacy
// types Σ q·x; q6_K, q3_K, q2_K Σ_g sc_g · Σ q·x with q unsigned (|word| <= 2·63·127; group_dot takes
// the offsets away); iq4 Σ L·x. Lanes from `count` on are 0, and their x is not read.
template <DType W>
[[gnu::always_inline]] inline __m256i sub_block_sums(const Unpacked& u, const int8_t* xq, int count) {
  __m256i s[8];
  if constexpr (kIq4<W>) {  // Σ L·x as Σ |L|·(x with L's sign); a word reaches 2·127·127
    const __m256i ones = _mm256_set1_epi16(1);
#pragma GCC unroll 8
    for (int sub = 0; sub < 8; ++sub) {
      if (sub >= count) {
        s[sub] = _mm256_setzero_si256();
        continue;
      }
      const __m256i x = load32(reinterpret_cast<const uint8_t*>(xq) + 32 * sub);
      s[sub] = _mm256_madd_epi16(_mm256_maddubs_epi16(u.q[sub], _mm256_sign_epi8(x, u.levels[sub])), ones);
    }
    return reduce8_epi32(s);
  }
  if constexpr (W == DType::kQ6_K || W == DType::kQ3_K || W == DType::kQ2_K) {  // the offsets: group_dot
#pragma GCC unroll 8
    for (int sub = 0; sub < 8; ++sub) {
      const __m256i x = load32(reinterpret_cast<const uint8_t*>(xq) + 32 * sub);
      s[sub] = _mm256_madd_epi16(_mm256_maddubs_epi16(u.q[sub], x), u.group_scales[sub]);
    }
    return reduce8_epi32(s);
  }
#pragma GCC unroll 8
  for (int sub = 0; sub < 8; ++sub)
    s[sub] = sub < count ? _mm256_maddubs_epi16(u.q[sub], load32(reinterpret_cast<const uint8_t*>(xq) + 32 * sub))
                         : _mm256_setzero_si256();
  return fold8_epi16(s);
}

// The group's float factors per sub-block lane, such that the lane adds scale·dx·Σ q·x + min·dx·(8·Σ x):
// scale = d·sc_s (q6_K: d; legacy: the block's d), min = -dmin·m_s / 8 (q4_1/q5_1: the block's m / 8;
// x's block sums are stored as 8·Σx: the eighth folds in exactly). Lanes from `count` on are 0.
struct Factors {
  __m256 scale, min;
};
template <DType W>
[[gnu::always_inline]] inline Factors factors(const uint8_t* block, int count) {
  if constexpr (kEightBlocks<W>) {  // the f16 d (and m) of each block, gathered in general registers
    uint64_t d[2] = {0, 0}, m[2] = {0, 0};
#pragma GCC unroll 8
    for (int c = 0; c < 8; ++c) {
      if (c >= count) break;
      uint16_t h[2];
      std::memcpy(h, block + c * kBlockBytes<W>, 4);  // d, then m (q5_0: its first fifth bits, unused)
      d[c / 4] |= static_cast<uint64_t>(h[0]) << (16 * (c % 4));
      m[c / 4] |= static_cast<uint64_t>(h[1]) << (16 * (c % 4));
    }
    const auto lanes = [](const uint64_t* v) {
      return _mm256_cvtph_ps(_mm_set_epi64x(static_cast<int64_t>(v[1]), static_cast<int64_t>(v[0])));
    };
    if constexpr (!kHasMin<W>) return {lanes(d), _mm256_setzero_ps()};  // q5_0, iq4_nl
    return {lanes(d), _mm256_mul_ps(lanes(m), _mm256_set1_ps(0.125f))};
  } else if constexpr (W == DType::kIQ4_XS) {  // d·(ls_s - 32)
    return {iq4_xs_scales8(*reinterpret_cast<const BlockIQ4_XS*>(block)), _mm256_setzero_ps()};
  } else if constexpr (W == DType::kQ6_K) {
    return {_mm256_set1_ps(_cvtsh_ss(reinterpret_cast<const BlockQ6_K*>(block)->d)), _mm256_setzero_ps()};
  } else if constexpr (W == DType::kQ3_K) {
    return {_mm256_set1_ps(_cvtsh_ss(reinterpret_cast<const BlockQ3_K*>(block)->d)), _mm256_setzero_ps()};
  } else if constexpr (W == DType::kQ2_K) {  // min: applied to group_min_sums, not to x's block sums
    const BlockQ2_K& b = *reinterpret_cast<const BlockQ2_K*>(block);
    return {_mm256_set1_ps(_cvtsh_ss(b.d)), _mm256_set1_ps(-_cvtsh_ss(b.dmin))};
  } else {
    const BlockQ4_K& head = *reinterpret_cast<const BlockQ4_K*>(block);  // q5_K starts the same way
    const ScaleMin8 sm = scale_min8(head.scales);
    return {_mm256_mul_ps(sm.sc, _mm256_set1_ps(_cvtsh_ss(head.d))),
            _mm256_mul_ps(sm.m, _mm256_set1_ps(_cvtsh_ss(head.dmin) * -0.125f))};
  }
}

// One head's x quantised to q8_0 (quantise_x): values, block scales, 8·block sums ([m][nb]) and, for q2_K,
// q3_K and q6_K, sums of 16 values ([m][2·nb]).
struct XRows {
  const int8_t* q;
  const float* d;
  const int32_t* offset;
  const int16_t* groups;
  int64_t nb;
};

// acc[r] += one group (its first `count` 32-value blocks) against x row i0 + r's blocks xb .. xb + count - 1:
// the group is unpacked and its factors computed once for the R rows.
template <DType W, int R>
[[gnu::always_inline]] inline void group_dot(const uint8_t* block, int count, const XRows& x, int64_t i0, int64_t xb,
                                             __m256 acc[R]) {
  // One row at a time is one weight stream; fetch a page ahead as the q8_0/q4_0 row dot does.
  const char* ahead = reinterpret_cast<const char*>(block) + kDecodePrefetchBytes;
#pragma GCC unroll 4
  for (int64_t line = 0; line < kGroupBytes<W>; line += 64) _mm_prefetch(ahead + line, _MM_HINT_T0);
  Unpacked u;
  unpack<W>(block, count, u);
  const Factors f = factors<W>(block, count);
  const bool whole = count == 8;
  const __m256i mask = whole ? _mm256_set1_epi32(-1) : tail_mask(count);
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    const int64_t x0 = (i0 + r) * x.nb + xb;
    const __m256 dx = whole ? _mm256_loadu_ps(x.d + x0) : _mm256_maskload_ps(x.d + x0, mask);
    __m256i sums = sub_block_sums<W>(u, x.q + x0 * 32, count);
    // 16-value groups, lane s = groups 2s, 2s + 1: q6_K's and q3_K's level offsets (32, 4) come off as
    // offset · Σ_g sc_g · Σ x, q2_K's mins as Σ_g m_g · Σ x, both from x's group sums by one VPMADDWD.
    __m256i min_sums = _mm256_setzero_si256();
    if constexpr (W == DType::kQ6_K || W == DType::kQ3_K || W == DType::kQ2_K) {
      const __m256i xg = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.groups + 2 * x0));
      if constexpr (W == DType::kQ2_K)
        min_sums = _mm256_madd_epi16(xg, u.mins16);
      else
        sums = _mm256_sub_epi32(sums, _mm256_slli_epi32(_mm256_madd_epi16(xg, u.scales16), W == DType::kQ6_K ? 5 : 2));
    } else if constexpr (kHasMin<W> || W == DType::kQ5_0) {  // x's stored 8·Σx
      min_sums = whole ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.offset + x0))
                       : _mm256_maskload_epi32(x.offset + x0, mask);
    }
    if constexpr (W == DType::kQ5_0) sums = _mm256_sub_epi32(sums, _mm256_slli_epi32(min_sums, 1));  // 16·Σx
    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(f.scale, dx), acc[r]);
    if constexpr (kHasMin<W>)
      acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(min_sums), _mm256_mul_ps(f.min, dx), acc[r]);
  }
}

// Weight rows [j0, j1) against x rows i0 .. i0 + R - 1 (R <= 4), a group at a time; a legacy row's last
// 1-7 blocks as one short group (V2-Lite's experts: k = 1,408, 5 groups and 4 blocks; MLA's k = 128).
template <DType W, int R>
void k_tile(const MatmulProblem& p, const XRows& x, int64_t i0, int64_t j0, int64_t j1) {
  const int64_t groups = x.nb / 8;
  const int tail = static_cast<int>(x.nb % 8);  // 0 for the K-quants, whose rows are whole super-blocks
  for (int64_t j = j0; j < j1; ++j) {
    const uint8_t* row = p.w + j * p.w_stride;
    __m256 acc[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t g = 0; g < groups; ++g) group_dot<W, R>(row + g * kGroupBytes<W>, 8, x, i0, 8 * g, acc);
    if constexpr (kEightBlocks<W>)
      if (tail > 0) group_dot<W, R>(row + groups * kGroupBytes<W>, tail, x, i0, 8 * groups, acc);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) y_row(p, i0 + r)[j] = hsum(acc[r]);
  }
}

// x rows four at a time, then the last 1-3, over each block of weight rows (a row of 2,048 q4_K values
// is 1,152 bytes: kRowBlock of them stay in L1 while the x rows pass).
template <DType W>
void k_rows(const MatmulProblem& p, const XRows& x, int64_t j0, int64_t j1) {
  int64_t i0 = 0;
  for (; i0 + 4 <= p.m; i0 += 4) k_tile<W, 4>(p, x, i0, j0, j1);
  switch (p.m - i0) {
    case 1: return k_tile<W, 1>(p, x, i0, j0, j1);
    case 2: return k_tile<W, 2>(p, x, i0, j0, j1);
    case 3: return k_tile<W, 3>(p, x, i0, j0, j1);
    default: return;
  }
}

}  // namespace

void k_quant_products(const MatmulProblem& p, const int8_t* xq, const float* xd, const int32_t* xoffset,
                      const int16_t* xgroups, int64_t j0, int64_t j1) {
  const XRows x{xq, xd, xoffset, xgroups, p.k / 32};
  switch (p.wtype) {
    case DType::kQ2_K: return k_rows<DType::kQ2_K>(p, x, j0, j1);
    case DType::kQ3_K: return k_rows<DType::kQ3_K>(p, x, j0, j1);
    case DType::kQ4_K: return k_rows<DType::kQ4_K>(p, x, j0, j1);
    case DType::kQ5_K: return k_rows<DType::kQ5_K>(p, x, j0, j1);
    case DType::kQ4_1: return k_rows<DType::kQ4_1>(p, x, j0, j1);
    case DType::kQ5_0: return k_rows<DType::kQ5_0>(p, x, j0, j1);
    case DType::kQ5_1: return k_rows<DType::kQ5_1>(p, x, j0, j1);
    case DType::kIQ4_NL: return k_rows<DType::kIQ4_NL>(p, x, j0, j1);
    case DType::kIQ4_XS: return k_rows<DType::kIQ4_XS>(p, x, j0, j1);
    default: return k_rows<DType::kQ6_K>(p, x, j0, j1);
  }
}

}  // namespace seek::kernels::avx2
