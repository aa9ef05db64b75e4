// q8_0 and q4_0 weights below the GEMM's row count (iq4 from four x rows) on AVX2: dot products along k
// against x quantised to q8_0 once per call (quantise_x). One x row against one weight row eight blocks' sums
// at a time (quant_row_dot); slices of 8 or 4 x rows with each row's block sum in its own lane
// (quant_rows_lanes); the last 2-3 rows as tiles that take the one-row kernel's groups of eight blocks
// for all their rows (rows_tile). q4_0 unpacks two blocks per vector
// against x kept a second time in the matching order (QuantAct::q_pairs, load_nibble_pair). From four
// x rows iq4_nl and iq4_xs take the lanes too, as q4_0's pairs whose nibbles pick levels (level_pair).
// This follows ggml: each block's integer dot product uses VPMADDUBSW on |w| and sign(x, w) (unsigned
// x signed, no saturation for |x| <= 127), and the block sum is scaled by dw·dx in f32 — the same
// integers and scale products as the reference. q4_0 skips the sign trick: its nibbles u = w + 8 are
// already unsigned, so VPMADDUBSW(u, x) gives Σ u·x and the block's Σ x (computed once per x block)
// takes away the 8·Σ x, in int32, exactly.
#include <immintrin.h>

#include <cstdint>

#include "core/dtype.h"
#include "kernels/backend.h"
#include "kernels/cpu/block_pairs_avx2.h"
#include "kernels/cpu/block_scales_avx2.h"
#include "kernels/cpu/int8_reduce_avx2.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/quant_act_avx2.h"
#include "kernels/cpu/simd_avx2.h"

namespace seek::kernels::avx2 {
namespace {

// iq4_nl and iq4_xs: nibbles that pick int8 levels (core/quant_iq4.h).
template <DType W>
constexpr bool kLevels = W == DType::kIQ4_NL || W == DType::kIQ4_XS;
template <DType W>
constexpr bool kLanesFromFour = lanes_from_four(W);
// Types whose lanes take two 32-value blocks per vector (load_nibble_pair, level_pair, q4k_nibble_pair).
template <DType W>
constexpr bool kPairs = W == DType::kQ4_0 || kLanesFromFour<W>;
// Rows of whole 256-value super-blocks: no odd last block.
template <DType W>
constexpr bool kSuperBlocks = W == DType::kIQ4_XS || W == DType::kQ4_K;
// Bytes per 32 values (iq4_xs, q4_K: their 256-value super-block's share).
template <DType W>
constexpr int64_t kBlockBytes = W == DType::kQ8_0     ? sizeof(BlockQ8_0)
                                : W == DType::kIQ4_XS ? sizeof(BlockIQ4_XS) / 8
                                : W == DType::kQ4_K   ? sizeof(BlockQ4_K) / 8
                                                      : sizeof(BlockQ4_0);  // q4_0, iq4_nl: 18
constexpr int64_t kWeightBlockBytes = 64 * 1024;  // weight rows per pass of the x slices (quant_rows_many)
constexpr int64_t kXGroupRows = 64;               // x rows per pass over the weights (quant_rows_many)


// Σ over a block of w·x as 8 int32 lanes: q8_0 weights by the sign trick; q4_0 nibbles u = w + 8 as
// they are, so the sum is Σ u·x (the caller takes the 8·Σx away).
template <DType W>
__m256i block_products(const __m256i& w, const int8_t* xq, const __m256i& ones) {
  const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
  if constexpr (W == DType::kQ4_0) return _mm256_madd_epi16(_mm256_maddubs_epi16(w, xv), ones);
  return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xv, w)), ones);
}

// Block b's f16 d (q8_0, q4_0, iq4_nl).
template <DType W>
float block_scale(const uint8_t* row, int64_t b) {
  uint16_t d;
  __builtin_memcpy(&d, row + b * kBlockBytes<W>, 2);
  return _cvtsh_ss(d);
}

// Block b's weights: q4_0 nibbles (unsigned), q8_0 values and iq4 levels (signed).
template <DType W>
__m256i weights_of(const uint8_t* row, int64_t b) {
  if constexpr (W == DType::kQ4_0) return unpack_nibbles(nibbles_at<W>(row, b));  // unsigned, w + 8
  if constexpr (kLevels<W>)
    return _mm256_shuffle_epi8(iq4_level_table(), unpack_nibbles(nibbles_at<W>(row, b)));
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + b * sizeof(BlockQ8_0) + 2));
}

// The f16 scales of blocks b .. b + count - 1 as f32, 0 past count (assembled in general registers:
// a vector insert per block cost more than the rest of the scale work).
template <DType W>
[[gnu::always_inline]] inline __m256 block_scales8(const uint8_t* row, int64_t b, int count) {
  if constexpr (W == DType::kIQ4_XS)  // b is a multiple of 8 and count 8: iq4_xs rows are whole super-blocks
    return iq4_xs_scales8(*reinterpret_cast<const BlockIQ4_XS*>(row + b / 8 * sizeof(BlockIQ4_XS)));
  if constexpr (W == DType::kQ4_0 || W == DType::kIQ4_NL) {  // the same 18-byte blocks, d first
    // Eight whole q4_0 blocks span 144 bytes, and block c's scale sits at bytes 2c, 2c + 1 of their
    // 16-byte run c: four 32-byte loads and word blends gather them (one core, data in L2: the
    // decode row dot 7% faster than assembling the scales in general registers; q8_0's 34-byte
    // blocks would need eight loads and seven blends, which measured slower than the scalar way).
    if (count == 8) {
      const uint8_t* at = row + b * kBlockBytes<W>;
      const auto run32 = [&](int o) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + o)); };
      __m256i r = _mm256_blend_epi16(run32(0), run32(32), 0x0C);  // low lane: words 0, 2; high: 1, 3
      r = _mm256_blend_epi16(r, run32(64), 0x30);
      r = _mm256_blend_epi16(r, run32(96), 0xC0);
      const __m128i scales = _mm_blend_epi16(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1), 0xAA);
      return _mm256_cvtph_ps(scales);
    }
  }
  uint64_t half[2] = {0, 0};
#pragma GCC unroll 8
  for (int c = 0; c < 8; ++c) {
    if (c >= count) break;
    uint16_t d;
    __builtin_memcpy(&d, row + (b + c) * kBlockBytes<W>, 2);
    half[c / 4] |= static_cast<uint64_t>(d) << (16 * (c % 4));
  }
  return _mm256_cvtph_ps(_mm_set_epi64x(static_cast<int64_t>(half[1]), static_cast<int64_t>(half[0])));
}

// acc[r] += blocks b .. b + count - 1 (count <= 8) of x row r's dot product with one weight row (R = 1-3
// rows), lane c = block c: each block's weights are read once for the R rows, every row's blocks' integer
// sums are reduced into one vector, then converted, scaled and accumulated once for all of them, instead
// of a convert, a scale product, a broadcast and an FMA per block; the scales are converted once.
template <DType W, int R>
[[gnu::always_inline]] inline void blocks_dot(const uint8_t* row, const int8_t* const xq[R],
                                              const float* const xd[R], const int32_t* const xoffset[R],
                                              int64_t b, int count, __m256 acc[R]) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i s[R][8];
#pragma GCC unroll 8
  for (int c = 0; c < 8; ++c) {
    const __m256i w = c < count ? weights_of<W>(row, b + c) : _mm256_setzero_si256();
#pragma GCC unroll 3
    for (int r = 0; r < R; ++r)
      s[r][c] = c < count ? block_products<W>(w, xq[r] + (b + c) * 32, ones) : _mm256_setzero_si256();
  }
  const bool whole = count == 8;
  const __m256i mask = whole ? _mm256_set1_epi32(-1) : tail_mask(count);
  const __m256 dw = block_scales8<W>(row, b, count);
#pragma GCC unroll 3
  for (int r = 0; r < R; ++r) {
    __m256i sums = reduce8_epi32(s[r]);
    if constexpr (W == DType::kQ4_0) {  // the nibbles' offset: 8 · Σx per block
      const __m256i offsets = whole ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xoffset[r] + b))
                                    : _mm256_maskload_epi32(xoffset[r] + b, mask);
      sums = _mm256_sub_epi32(sums, offsets);
    }
    const __m256 dx = whole ? _mm256_loadu_ps(xd[r] + b) : _mm256_maskload_ps(xd[r] + b, mask);
    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(dw, dx), acc[r]);
  }
}

// blocks_dot for q4_0's eight whole blocks b .. b + 7 against R x rows (R = 1-3), x in QuantAct::q_pairs'
// order. Blocks b and b + 1 share a vector (load_nibble_pair): 4 unpacks for all R rows and, per row, a
// 3-step lane reduction with one widening (fold_quads16) for 8 blocks instead of 8 unpacks, 8 widenings and
// 7 steps (2.7 cycles per block against 3.4 with the data in L2, 2,048-value rows, one core, one row,
// before fold_quads16 took ~7% more off). The eight scales are converted once for the R rows.
template <int R>
[[gnu::always_inline]] inline void q4_pairs_dot8(const uint8_t* row, const int8_t* const xpairs[R],
                                                 const float* const xd[R], const int32_t* const xoffset[R],
                                                 int64_t b, __m256 acc[R]) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i s[R][4];
#pragma GCC unroll 4
  for (int pair = 0; pair < 4; ++pair) {
    const NibblePair w = load_nibble_pair(row, b + 2 * pair);
#pragma GCC unroll 3
    for (int r = 0; r < R; ++r) s[r][pair] = nibble_pair_products16(w, xpairs[r] + (b + 2 * pair) * 32);
  }
  const __m256 dw = block_scales8<DType::kQ4_0>(row, b, 8);
#pragma GCC unroll 3
  for (int r = 0; r < R; ++r) {
    // s[r][p]'s low lane sums block b + 2p, its high lane b + 2p + 1: reduced to blocks 0 2 4 6 | 1 3 5 7.
    __m256i sums;
    fold_quads16<4>(s[r], &sums, ones);
    sums = _mm256_permutevar8x32_epi32(sums, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));  // blocks in order
    sums = _mm256_sub_epi32(sums, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xoffset[r] + b)));
    acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(dw, _mm256_loadu_ps(xd[r] + b)), acc[r]);
  }
}

// Consecutive rows are one stream, but at ~13 GB/s of compute per core the hardware prefetcher alone
// leaves both cores waiting on DRAM: fetching kDecodePrefetchBytes ahead of blocks b .. b + 7 by hand took
// the two-thread rate from ~19 to ~22 GB/s (one 4 KiB page ahead, covering the bytes consumed).
template <DType W>
[[gnu::always_inline]] inline void prefetch_group(const uint8_t* row, int64_t b) {
  const char* ahead = reinterpret_cast<const char*>(row) + b * kBlockBytes<W> + kDecodePrefetchBytes;
#pragma GCC unroll 8
  for (int64_t line = 0; line < 8 * kBlockBytes<W>; line += 64) _mm_prefetch(ahead + line, _MM_HINT_T0);
}

// One x row against one weight row (decode), eight blocks at a time, the last 1-7 as one partial
// group (k = 1408, V2-Lite's experts: 4 of 44 blocks; MLA's k = 128: all 4). q4_0 reads its whole
// groups from xpairs.
template <DType W>
float quant_row_dot(const uint8_t* row, const int8_t* xq, const int8_t* xpairs, const float* xd,
                    const int32_t* xoffset, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 8 <= nb; b += 8) {
    prefetch_group<W>(row, b);
    if constexpr (W == DType::kQ4_0)
      q4_pairs_dot8<1>(row, &xpairs, &xd, &xoffset, b, &acc);
    else
      blocks_dot<W, 1>(row, &xq, &xd, &xoffset, b, 8, &acc);
  }
  if (b < nb) blocks_dot<W, 1>(row, &xq, &xd, &xoffset, b, static_cast<int>(nb - b), &acc);
  return hsum(acc);
}

// One x row against weight rows [j_begin, j_end).
template <DType W>
void quant_rows(const MatmulProblem& p, const QuantAct& a, int64_t i0, int64_t j_begin, int64_t j_end) {
  const int64_t nb = p.k / 32;
  float* y = y_row(p, i0);
  for (int64_t j = j_begin; j < j_end; ++j)
    y[j] = quant_row_dot<W>(p.w + j * p.w_stride, a.q + i0 * p.k, a.q_pairs + i0 * p.k, a.d + i0 * nb,
                            a.offset + i0 * nb, nb);
}

// q8_0 or q4_0, R (2-3) x rows against weight rows [j_begin, j_end), the one-row kernel's way: each group
// of eight blocks is read once for the R rows (blocks_dot, q4_pairs_dot8), and so are a row's last 1-7
// blocks. Two rows are MTP's verification pass and a MoE expert that two tokens of a batch chose.
// Before, q4_0's 2-3 rows took four lanes (quant_rows_lanes), paying the lanes' reduction and scale work
// for four (3.2 cycles per (row, block) at two rows, against 1.8 for eight rows in lanes), and q8_0's
// converted, scaled and accumulated each (row, block) apart. bench_matmul n = k = 2048, one core,
// alternating rounds: q4_0 m = 2 265-302 -> 197-211 us; q8_0 m = 2 372-518 -> 303-433, m = 3 487-657 ->
// 370-476.
template <DType W, int R>
void rows_tile(const MatmulProblem& p, const QuantAct& a, int64_t i0, int64_t j_begin, int64_t j_end) {
  static_assert(W == DType::kQ8_0 || W == DType::kQ4_0, "q8_0 or q4_0");
  const int64_t nb = p.k / 32;
  const int8_t* xq[R];
  const int8_t* xpairs[R];
  const float* xd[R];
  const int32_t* xoffset[R];
#pragma GCC unroll 3
  for (int r = 0; r < R; ++r) {
    xq[r] = a.q + (i0 + r) * p.k;
    xpairs[r] = a.q_pairs + (i0 + r) * p.k;
    xd[r] = a.d + (i0 + r) * nb;
    xoffset[r] = a.offset + (i0 + r) * nb;
  }
  for (int64_t j = j_begin; j < j_end; ++j) {
    const uint8_t* row = p.w + j * p.w_stride;
    __m256 acc[R];
#pragma GCC unroll 3
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) {
      prefetch_group<W>(row, b);
      if constexpr (W == DType::kQ4_0)
        q4_pairs_dot8<R>(row, xpairs, xd, xoffset, b, acc);
      else
        blocks_dot<W, R>(row, xq, xd, xoffset, b, 8, acc);
    }
    if (b < nb) blocks_dot<W, R>(row, xq, xd, xoffset, b, static_cast<int>(nb - b), acc);
#pragma GCC unroll 3
    for (int r = 0; r < R; ++r) y_row(p, i0 + r)[j] = hsum(acc[r]);
  }
}

// The pair loop's scales of blocks b .. b + 7 (b a multiple of 8; iq4_nl's last group may be short) and
// q4_K's mins as -dmin·m / 8, which meet x's block sums stored as 8·Σx (the eighth folds in exactly).
template <DType W>
[[gnu::always_inline]] inline void group_scales(const uint8_t* row, int64_t b, int64_t nb, float* dws,
                                                float* mins) {
  if constexpr (W == DType::kQ4_K) {
    const BlockQ4_K& s = *reinterpret_cast<const BlockQ4_K*>(row + b / 8 * sizeof(BlockQ4_K));
    const ScaleMin8 sm = scale_min8(s.scales);
    _mm256_store_ps(dws, _mm256_mul_ps(sm.sc, _mm256_set1_ps(_cvtsh_ss(s.d))));
    _mm256_store_ps(mins, _mm256_mul_ps(sm.m, _mm256_set1_ps(_cvtsh_ss(s.dmin) * -0.125f)));
  } else {
    _mm256_store_ps(dws, block_scales8<W>(row, b, nb - b < 8 ? static_cast<int>(nb - b) : 8));
  }
}

// Lane c of the result: the sum of s[c]'s eight lanes, for four vectors.
[[gnu::always_inline]] inline __m128i reduce4_epi32(const __m256i s[4]) {
  __m256i b;
  reduce_quads<4>(s, &b);
  return _mm_add_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
}

// Quantised weights, x rows i0 .. i0 + L - 1 (batched decode, MTP verification, prefill), lanes = rows:
// each weight block is unpacked and its scale converted once; every row's block sum goes to its own
// lane of one vector, which is offset, converted, scaled by dw · dx[row] and accumulated by one FMA
// for all L rows. Per-row tiles that converted, scaled and accumulated each (row, block)
// apart: n = k = 2048, 8 rows: 2.2-2.6 cycles per (row, block) against 2.9, 115-145 GFLOP/s against
// 70-131 at 2 threads. Rows past m repeat row i0 and are not stored; rows from R on are not computed.
template <DType W, int L, int R = L>
void quant_rows_lanes(const MatmulProblem& p, const QuantAct& a, int64_t i0, int64_t j_begin, int64_t j_end) {
  static_assert(L == 4 || L == 8, "four or eight lanes");
  const int64_t nb = p.k / 32, ls = lane_stride(p.m), rows = p.m - i0 < L ? p.m - i0 : L;
  const __m256i ones = _mm256_set1_epi16(1);
  const int8_t* x[L];
  const int8_t* x_pairs[L];
#pragma GCC unroll 8
  for (int i = 0; i < L; ++i) {
    const int64_t r = i0 + (i < rows ? i : 0);
    x[i] = a.q + r * p.k;
    if constexpr (kPairs<W>) x_pairs[i] = a.q_pairs + r * p.k;
  }
  // i0 is a multiple of L: the lane copies of block b are aligned.
  const auto dx = [&](int64_t b) { return a.d_lanes + b * ls + i0; };
  const auto offset = [&](int64_t b) { return a.offset_lanes + b * ls + i0; };
  for (int64_t j = j_begin; j < j_end; ++j) {
    const uint8_t* row = p.w + j * p.w_stride;
    __m256 acc8 = _mm256_setzero_ps(), acc8_odd = _mm256_setzero_ps();
    __m128 acc4 = _mm_setzero_ps();
    __m256 acc_pair = _mm256_setzero_ps();  // four lanes: block b's rows low, b + 1's high
    int64_t b = 0;
    if constexpr (kPairs<W>) {
      // Two blocks at a time: each row's vector holds both, so the reduction over rows stops at quads
      // (block b's low, b + 1's high): 20 steps per two blocks of 8 rows, not 42. q4_0 and q4_K add
      // their products as words first (nibble_pair_products16); q4_0 takes its nibbles' offset away,
      // q4_K its mins through x's block sums.
      alignas(32) float dws[8], mins[8];  // iq4, q4_K: the scales (mins) of blocks b - b % 8 ..
      for (; b + 2 <= nb; b += 2) {
        if constexpr (kLanesFromFour<W>)
          if (b % 8 == 0) group_scales<W>(row, b, nb, dws, mins);
        __m256i s[L];
        __m256i quads[L / 4];
        if constexpr (W == DType::kQ4_0 || W == DType::kQ4_K) {
          const NibblePair w = W == DType::kQ4_0 ? load_nibble_pair(row, b) : q4k_nibble_pair(row, b);
#pragma GCC unroll 8
          for (int i = 0; i < L; ++i)
            s[i] = i < R ? nibble_pair_products16(w, x_pairs[i] + b * 32) : _mm256_setzero_si256();
          fold_quads16<L>(s, quads, ones);
        } else {
          const LevelPair w = level_pair<W>(row, b);
#pragma GCC unroll 8
          for (int i = 0; i < L; ++i)
            s[i] = i < R ? level_pair_products(w, x_pairs[i] + b * 32, ones) : _mm256_setzero_si256();
          reduce_quads<L>(s, quads);
        }
        // q4_0's converted one by one: a stored group measured 4% slower for it.
        const float dw0 = kLanesFromFour<W> ? dws[b % 8] : block_scale<W>(row, b);
        const float dw1 = kLanesFromFour<W> ? dws[b % 8 + 1] : block_scale<W>(row, b + 1);
        if constexpr (L == 8) {
          __m256i even = _mm256_permute2x128_si256(quads[0], quads[1], 0x20);  // block b, rows 0-7
          __m256i odd = _mm256_permute2x128_si256(quads[0], quads[1], 0x31);   // block b + 1
          if constexpr (W == DType::kQ4_0) {
            even = _mm256_sub_epi32(even, _mm256_load_si256(reinterpret_cast<const __m256i*>(offset(b))));
            odd = _mm256_sub_epi32(odd, _mm256_load_si256(reinterpret_cast<const __m256i*>(offset(b + 1))));
          }
          acc8 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(even),
                                 _mm256_mul_ps(_mm256_set1_ps(dw0), _mm256_load_ps(dx(b))), acc8);
          acc8_odd = _mm256_fmadd_ps(_mm256_cvtepi32_ps(odd),
                                     _mm256_mul_ps(_mm256_set1_ps(dw1), _mm256_load_ps(dx(b + 1))), acc8_odd);
          if constexpr (W == DType::kQ4_K) {
            const __m256 sums8 =
                _mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(offset(b))));
            const __m256 sums8_odd =
                _mm256_cvtepi32_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(offset(b + 1))));
            acc8 = _mm256_fmadd_ps(sums8, _mm256_mul_ps(_mm256_set1_ps(mins[b % 8]), _mm256_load_ps(dx(b))),
                                   acc8);
            acc8_odd = _mm256_fmadd_ps(
                sums8_odd, _mm256_mul_ps(_mm256_set1_ps(mins[b % 8 + 1]), _mm256_load_ps(dx(b + 1))),
                acc8_odd);
          }
        } else {
          __m256i sums = quads[0];
          if constexpr (W == DType::kQ4_0)
            sums = _mm256_sub_epi32(sums, _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(offset(b + 1)),
                                                              reinterpret_cast<const __m128i*>(offset(b))));
          const __m256 scale = _mm256_mul_ps(_mm256_setr_m128(_mm_set1_ps(dw0), _mm_set1_ps(dw1)),
                                             _mm256_loadu2_m128(dx(b + 1), dx(b)));
          acc_pair = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, acc_pair);
          if constexpr (W == DType::kQ4_K) {
            const __m256 sums8 =
                _mm256_cvtepi32_ps(_mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(offset(b + 1)),
                                                       reinterpret_cast<const __m128i*>(offset(b))));
            const __m256 min =
                _mm256_mul_ps(_mm256_setr_m128(_mm_set1_ps(mins[b % 8]), _mm_set1_ps(mins[b % 8 + 1])),
                              _mm256_loadu2_m128(dx(b + 1), dx(b)));
            acc_pair = _mm256_fmadd_ps(sums8, min, acc_pair);
          }
        }
      }
    }
    if constexpr (!kSuperBlocks<W>)
      for (; b < nb; ++b) {  // one block at a time (q4_0, iq4_nl: an odd last block)
        const __m256i w = weights_of<W>(row, b);
        const float dw = block_scale<W>(row, b);
        __m256i s[L];
#pragma GCC unroll 8
        for (int i = 0; i < L; ++i)
          s[i] = i < R ? block_products<W>(w, x[i] + b * 32, ones) : _mm256_setzero_si256();
        if constexpr (L == 8) {
          __m256i sums = reduce8_epi32(s);
          if constexpr (W == DType::kQ4_0)
            sums = _mm256_sub_epi32(sums, _mm256_load_si256(reinterpret_cast<const __m256i*>(offset(b))));
          acc8 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums),
                                 _mm256_mul_ps(_mm256_set1_ps(dw), _mm256_load_ps(dx(b))), acc8);
        } else {
          __m128i sums = reduce4_epi32(s);
          if constexpr (W == DType::kQ4_0)
            sums = _mm_sub_epi32(sums, _mm_load_si128(reinterpret_cast<const __m128i*>(offset(b))));
          acc4 = _mm_fmadd_ps(_mm_cvtepi32_ps(sums), _mm_mul_ps(_mm_set1_ps(dw), _mm_load_ps(dx(b))), acc4);
        }
      }
    alignas(32) float lanes[8];
    if constexpr (L == 8) {
      _mm256_store_ps(lanes, _mm256_add_ps(acc8, acc8_odd));
    } else {
      _mm_store_ps(lanes, _mm_add_ps(acc4, _mm_add_ps(_mm256_castps256_ps128(acc_pair),
                                                      _mm256_extractf128_ps(acc_pair, 1))));
    }
    for (int64_t i = 0; i < rows; ++i) y_row(p, i0 + i)[j] = lanes[i];
  }
}

// Quantised weights, x rows [i_begin, i_end) (more than one): eight rows at a time in lanes while
// seven or more are left (a seven-row slice pays one padding lane), then four. The last 2-3 rows as tiles:
// rows_tile (four lanes for two q8_0 rows measured 25-45% slower).
template <DType W>
void quant_rows_slices(const MatmulProblem& p, const QuantAct& a, int64_t i_begin, int64_t i_end, int64_t j0,
                       int64_t j1) {
  int64_t i0 = i_begin;
  for (; i_end - i0 >= 7; i0 += 8) quant_rows_lanes<W, 8>(p, a, i0, j0, j1);
  for (; i_end - i0 >= kLaneMinRows; i0 += 4) quant_rows_lanes<W, 4>(p, a, i0, j0, j1);
  const int64_t left = i_end - i0;
  if constexpr (kLanesFromFour<W>) {  // four lanes, the unused ones skipping their products
    if (left == 1) return quant_rows_lanes<W, 4, 1>(p, a, i0, j0, j1);
    if (left == 2) return quant_rows_lanes<W, 4, 2>(p, a, i0, j0, j1);
    if (left == 3) return quant_rows_lanes<W, 4, 3>(p, a, i0, j0, j1);
  } else {  // q8_0, q4_0
    if (left == 1) return quant_rows<W>(p, a, i0, j0, j1);
    if (left == 2) return rows_tile<W, 2>(p, a, i0, j0, j1);
    if (left == 3) return rows_tile<W, 3>(p, a, i0, j0, j1);
  }
}

// More than one slice of x rows: groups of kXGroupRows x rows (k bytes a row, twice for q4_0: they stay
// in L2) pass over blocks of weight rows of about kWeightBlockBytes, so that each weight block comes
// from memory once per group and stays in L1/L2 for all the group's slices.
template <DType W>
void quant_rows_many(const MatmulProblem& p, const QuantAct& a, int64_t j0, int64_t j1) {
  if (p.m <= 8) return quant_rows_slices<W>(p, a, 0, p.m, j0, j1);
  const int64_t row_bytes = p.k / 32 * kBlockBytes<W>;
  const int64_t block = kWeightBlockBytes / row_bytes > 4 ? kWeightBlockBytes / row_bytes : 4;
  for (int64_t ig = 0; ig < p.m; ig += kXGroupRows) {
    const int64_t ie = p.m - ig < kXGroupRows ? p.m : ig + kXGroupRows;
    for (int64_t jb = j0; jb < j1; jb += block)
      quant_rows_slices<W>(p, a, ig, ie, jb, j1 - jb < block ? j1 : jb + block);
  }
}

}  // namespace

void quant_products(const MatmulProblem& p, const uint8_t* act, int64_t j0, int64_t j1) {
  const QuantAct a = quant_act(act, p.m, p.k);
  if (lanes_from_four(p.wtype) && p.m >= lane_min_rows(p.wtype)) {
    if (p.wtype == DType::kIQ4_NL) return quant_rows_many<DType::kIQ4_NL>(p, a, j0, j1);
    if (p.wtype == DType::kIQ4_XS) return quant_rows_many<DType::kIQ4_XS>(p, a, j0, j1);
    return quant_rows_many<DType::kQ4_K>(p, a, j0, j1);
  }
  if (reads_super_blocks(p.wtype)) return k_quant_products(p, a.q, a.d, a.offset, a.group_sums, j0, j1);
  if (p.wtype == DType::kQ4_0) return quant_rows_many<DType::kQ4_0>(p, a, j0, j1);
  quant_rows_many<DType::kQ8_0>(p, a, j0, j1);
}

}  // namespace seek::kernels::avx2
