// The AVX2 matmul backend (CPUs without AVX-512, and AVX-512 CPUs without VNNI for q8_0/q4_0).
//
// Float and FP8 weights from kGemmMinRows x rows, quantised weights from kGemmQuantMinRows, and every
// w_kn problem take the packed GEMM (matmul_gemm_avx2.cpp). Below that, dot products along k: float
// weights 1-4 x rows against 1-4 weight rows at once, lanes = k; FP8 weights in matmul_fp8_avx2.cpp;
// quantised weights one x row against one weight row eight blocks' sums at a time (quant_row_dot),
// slices of 8 or 4 x rows with each row's block sum in its own lane (quant_rows_lanes), the last 2-3
// rows as tiles (quant_tile). The weight rows are taken in blocks of kRowBlock so that a block stays
// in L1/L2 while every slice of x passes over it.
// Quantised weights follow ggml: x is quantised to q8_0 first, then each block's integer dot product
// uses VPMADDUBSW on |w| and sign(x, w) (unsigned x signed, no saturation for |x| <= 127), and the
// block sum is scaled by dw·dx in f32 — the same integers and scale products as the reference.
// q4_0 skips the sign trick: its nibbles u = w + 8 are already unsigned, so VPMADDUBSW(u, x) gives
// Σ u·x and the block's Σ x (computed once per x block) takes away the 8·Σ x, in int32, exactly.
#include <immintrin.h>

#include "core/dtype.h"
#include "kernels/backend.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/simd_avx2.h"

namespace seek::kernels::avx2 {
namespace {

constexpr int kMR = 4;             // x rows per tile
constexpr int64_t kRowBlock = 16;  // weight rows kept hot while x slices pass
constexpr int64_t kGrain = 16;     // y columns per thread start on a cache line
constexpr int64_t kMinParallelMacs = 1 << 16;
// From this many x rows float weights take the packed GEMM. Below it the product is bound by reading
// the weights, which the dot-product tiles do once in place; the GEMM's packing pass costs more
// (f32, n = k = 2048, 8 rows: 1.2 ms as tiles, 1.8 ms packed; 512 rows: 67% of the FMA peak packed).
constexpr int64_t kGemmMinRows = 16;
// Quantised weights from this many rows: the f32 GEMM on panels dequantised while packing beats the
// int8 dot-product tiles (VPMADDUBSW + VPMADDWD + convert + scale per block and x row) from about 64
// rows (n = k = 2048, 2 threads: m = 64 ~105 GFLOP/s both, m = 512 145-166 against ~100).
constexpr int64_t kGemmQuantMinRows = 64;

// ---- float weights ----

template <DType W>
__m256 load_weights(const uint8_t* row, int64_t t) {
  if constexpr (W == DType::kF32) return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + t);
  const __m128i h =
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + t));
  if constexpr (W == DType::kF16) return _mm256_cvtph_ps(h);
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

template <DType W>
float weight_scalar(const uint8_t* row, int64_t t) {
  if constexpr (W == DType::kF32) return reinterpret_cast<const float*>(row)[t];
  if constexpr (W == DType::kF16) return f16_to_f32(reinterpret_cast<const uint16_t*>(row)[t]);
  return bf16_to_f32(reinterpret_cast<const uint16_t*>(row)[t]);
}

template <DType W, int MR, int NR>
void float_tile(const MatmulProblem& p, int64_t i0, int64_t j) {
  const float* x[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) x[i] = x_row(p, i0 + i);
  const uint8_t* w[NR];
#pragma GCC unroll 16
  for (int r = 0; r < NR; ++r) w[r] = p.w + (j + r) * p.w_stride;
  __m256 acc[MR][NR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
    for (int r = 0; r < NR; ++r) acc[i][r] = _mm256_setzero_ps();
  // Each weight row is visited 64 values (256 bytes of f32) at a time: side-by-side rows in 32-byte
  // steps defeat the hardware prefetcher (see matmul_gemv_avx512.cpp).
  constexpr int64_t kChunk = 64;
  int64_t t = 0;
  for (; t + kChunk <= p.k; t += kChunk) {
#pragma GCC unroll 16
    for (int r = 0; r < NR; ++r) {
#pragma GCC unroll 16
      for (int64_t u = 0; u < kChunk; u += 8) {
        const __m256 wv = load_weights<W>(w[r], t + u);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
          acc[i][r] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[i] + t + u), acc[i][r]);
      }
    }
  }
  for (; t + 8 <= p.k; t += 8) {
    __m256 wv[NR];
#pragma GCC unroll 16
    for (int r = 0; r < NR; ++r) wv[r] = load_weights<W>(w[r], t);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x[i] + t);
#pragma GCC unroll 16
      for (int r = 0; r < NR; ++r) acc[i][r] = _mm256_fmadd_ps(wv[r], xv, acc[i][r]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    float* y = y_row(p, i0 + i);
#pragma GCC unroll 16
    for (int r = 0; r < NR; ++r) {
      float s = hsum(acc[i][r]);
      for (int64_t tt = t; tt < p.k; ++tt) s += x[i][tt] * weight_scalar<W>(w[r], tt);
      y[j + r] = s;
    }
  }
}

template <DType W, int MR>
void float_rows(const MatmulProblem& p, int64_t i0, int64_t j_begin, int64_t j_end) {
  constexpr int kNR = MR <= 2 ? 4 : 2;
  int64_t j = j_begin;
  for (; j + kNR <= j_end; j += kNR) float_tile<W, MR, kNR>(p, i0, j);
  for (; j < j_end; ++j) float_tile<W, MR, 1>(p, i0, j);
}

// ---- quantised weights ----

struct QuantAct {
  const int8_t* q;     // [m][k]
  const float* d;      // [m][nb]
  const int32_t* sum;  // [m][nb]: Σ of each block's 32 values (q4_0's offset)
  // The scales and 8·sums again, [nb][lane_stride(m)] (lane i = row i; the padding past m holds 0):
  // quant_rows_lanes loads a block's four or eight rows in one vector.
  const float* d_lanes;
  const int32_t* offset_lanes;
};

template <DType W>
constexpr int64_t kBlockBytes = W == DType::kQ4_0 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
constexpr int64_t kDecodePrefetchBytes = 4096;

size_t align64(size_t v) { return (v + 63) / 64 * 64; }

// Rows of x per weight block in the lane layout: m rounded up to a whole 8-lane vector.
int64_t lane_stride(int64_t m) { return (m + 7) / 8 * 8; }
// From this many x rows quantised products take slices of 4 or 8 rows in lanes (quant_rows_many);
// below it the lane copies are not written (prepare runs for every decoded token).
constexpr int64_t kLaneMinRows = 4;

// Byte offsets of the scales, the sums and their lane copies in one head's activation area.
size_t act_scales_at(int64_t m, int64_t k) { return align64(static_cast<size_t>(m * k)); }
size_t act_sums_at(int64_t m, int64_t k) { return act_scales_at(m, k) + align64(static_cast<size_t>(m * (k / 32)) * 4); }
size_t lanes_bytes(int64_t m, int64_t k) { return align64(static_cast<size_t>((k / 32) * lane_stride(m)) * 4); }
size_t act_lanes_at(int64_t m, int64_t k) { return act_sums_at(m, k) + align64(static_cast<size_t>(m * (k / 32)) * 4); }

QuantAct quant_act(const uint8_t* scratch, int64_t m, int64_t k) {
  const size_t lanes = act_lanes_at(m, k);
  return {reinterpret_cast<const int8_t*>(scratch), reinterpret_cast<const float*>(scratch + act_scales_at(m, k)),
          reinterpret_cast<const int32_t*>(scratch + act_sums_at(m, k)),
          reinterpret_cast<const float*>(scratch + lanes), reinterpret_cast<const int32_t*>(scratch + lanes + lanes_bytes(m, k))};
}

// The 32 nibbles of q4_0 block b, unsigned (w + 8): the 16 bytes in both lanes, shifted by 0 and 4.
__m256i load_nibbles(const uint8_t* row, int64_t b) {
  const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + b * sizeof(BlockQ4_0) + 2)));
  return _mm256_and_si256(_mm256_srlv_epi32(q, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)), _mm256_set1_epi8(0x0F));
}

// Σ over a block of w·x as 8 int32 lanes: q8_0 weights by the sign trick; q4_0 nibbles u = w + 8 as
// they are, so the sum is Σ u·x (block_dot takes the 8·Σx away).
template <DType W>
__m256i block_products(const __m256i& w, const int8_t* xq, const __m256i& ones) {
  const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
  if constexpr (W == DType::kQ4_0) return _mm256_madd_epi16(_mm256_maddubs_epi16(w, xv), ones);
  return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xv, w)), ones);
}

// Σ w·x of one block as 8 int32 lanes (q4_0: the offset spread over the lanes, Σx per lane).
template <DType W>
__m256i block_dot(const __m256i& w, const int8_t* xq, int32_t xsum, const __m256i& ones) {
  const __m256i s = block_products<W>(w, xq, ones);
  if constexpr (W == DType::kQ4_0) return _mm256_sub_epi32(s, _mm256_set1_epi32(xsum));
  return s;
}

template <DType W>
float block_scale(const uint8_t* row, int64_t b) {
  uint16_t d;
  __builtin_memcpy(&d, row + b * kBlockBytes<W>, 2);
  return _cvtsh_ss(d);
}

// Block b's weights: q4_0 nibbles (unsigned), q8_0 values (signed).
template <DType W>
__m256i weights_of(const uint8_t* row, int64_t b) {
  if constexpr (W == DType::kQ4_0) return load_nibbles(row, b);
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + b * sizeof(BlockQ8_0) + 2));
}

// MR (2-3) x rows against one weight row: the block's weights and scale are loaded once for all.
template <DType W, int MR>
void quant_tile(const MatmulProblem& p, const QuantAct& a, int64_t i0, int64_t j) {
  const int64_t nb = p.k / 32;
  const uint8_t* row = p.w + j * p.w_stride;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m256i w = weights_of<W>(row, b);
    const __m256 dw = _mm256_set1_ps(block_scale<W>(row, b));
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const int64_t xb = (i0 + i) * nb + b;
      const __m256i prod = block_dot<W>(w, a.q + xb * 32, a.sum[xb], ones);
      const __m256 scale = _mm256_mul_ps(dw, _mm256_broadcast_ss(a.d + xb));  // broadcast from memory: a load
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(prod), scale, acc[i]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) y_row(p, i0 + i)[j] = hsum(acc[i]);
}

// Lane c of the result: the sum of s[c]'s eight lanes.
[[gnu::always_inline]] inline __m256i reduce8_epi32(const __m256i s[8]) {
  __m256i a[4], b[2];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i)  // [s0_0+s0_2, s1_0+s1_2, s0_1+s0_3, s1_1+s1_3 | the same for lanes 4..7]
    a[i] = _mm256_add_epi32(_mm256_unpacklo_epi32(s[2 * i], s[2 * i + 1]), _mm256_unpackhi_epi32(s[2 * i], s[2 * i + 1]));
#pragma GCC unroll 2
  for (int i = 0; i < 2; ++i)  // [s0, s1, s2, s3 over lanes 0..3 | over lanes 4..7]
    b[i] = _mm256_add_epi32(_mm256_unpacklo_epi64(a[2 * i], a[2 * i + 1]), _mm256_unpackhi_epi64(a[2 * i], a[2 * i + 1]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(b[0], b[1], 0x20), _mm256_permute2x128_si256(b[0], b[1], 0x31));
}

// The f16 scales of blocks b .. b + count - 1 as f32, 0 past count (assembled in general registers:
// a vector insert per block cost more than the rest of the scale work).
template <DType W>
[[gnu::always_inline]] inline __m256 block_scales8(const uint8_t* row, int64_t b, int count) {
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

// acc += blocks b .. b + count - 1 (count <= 8) of one row's dot product, lane c = block c: the
// blocks' integer sums are reduced into one vector, then converted, scaled and accumulated once for
// all of them, instead of a convert, a scale product, a broadcast and an FMA per block.
template <DType W>
[[gnu::always_inline]] inline __m256 blocks_dot(const uint8_t* row, const int8_t* xq, const float* xd, const int32_t* xsum,
                                               int64_t b, int count, __m256 acc) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i s[8];
#pragma GCC unroll 8
  for (int c = 0; c < 8; ++c)
    s[c] = c < count ? block_products<W>(weights_of<W>(row, b + c), xq + (b + c) * 32, ones) : _mm256_setzero_si256();
  __m256i sums = reduce8_epi32(s);
  const bool whole = count == 8;
  const __m256i mask = whole ? _mm256_set1_epi32(-1) : tail_mask(count);
  if constexpr (W == DType::kQ4_0) {  // the nibbles' offset: 8 · Σx per block
    const __m256i xs = whole ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xsum + b)) : _mm256_maskload_epi32(xsum + b, mask);
    sums = _mm256_sub_epi32(sums, _mm256_slli_epi32(xs, 3));
  }
  const __m256 dx = whole ? _mm256_loadu_ps(xd + b) : _mm256_maskload_ps(xd + b, mask);
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(block_scales8<W>(row, b, count), dx), acc);
}

// One x row against one weight row (decode), eight blocks at a time, the last 1-7 as one partial
// group (k = 1408, V2-Lite's experts: 4 of 44 blocks; MLA's k = 128: all 4).
template <DType W>
float quant_row_dot(const uint8_t* row, const int8_t* xq, const float* xd, const int32_t* xsum, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 8 <= nb; b += 8) {
    // Consecutive rows are one stream, but at ~13 GB/s of compute per core the hardware prefetcher
    // alone leaves both cores waiting on DRAM: fetching kDecodePrefetchBytes ahead by hand took the
    // two-thread rate from ~19 to ~22 GB/s (one 4 KiB page ahead, covering the bytes consumed).
    const char* ahead = reinterpret_cast<const char*>(row) + b * kBlockBytes<W> + kDecodePrefetchBytes;
#pragma GCC unroll 8
    for (int64_t line = 0; line < 8 * kBlockBytes<W>; line += 64) _mm_prefetch(ahead + line, _MM_HINT_T0);
    acc = blocks_dot<W>(row, xq, xd, xsum, b, 8, acc);
  }
  if (b < nb) acc = blocks_dot<W>(row, xq, xd, xsum, b, static_cast<int>(nb - b), acc);
  return hsum(acc);
}

template <DType W, int MR>
void quant_rows(const MatmulProblem& p, const QuantAct& a, int64_t i0, int64_t j_begin, int64_t j_end) {
  if constexpr (MR == 1) {
    const int64_t nb = p.k / 32;
    float* y = y_row(p, i0);
    for (int64_t j = j_begin; j < j_end; ++j)
      y[j] = quant_row_dot<W>(p.w + j * p.w_stride, a.q + i0 * p.k, a.d + i0 * nb, a.sum + i0 * nb, nb);
    return;
  }
  for (int64_t j = j_begin; j < j_end; ++j) quant_tile<W, MR>(p, a, i0, j);
}

// ---- driver: weight-row blocks outer, slices of x inner ----

template <int MR>
void float_rows_for(const MatmulProblem& p, int64_t i0, int64_t j0, int64_t j1) {
  switch (p.wtype) {
    case DType::kF32: return float_rows<DType::kF32, MR>(p, i0, j0, j1);
    case DType::kF16: return float_rows<DType::kF16, MR>(p, i0, j0, j1);
    case DType::kBF16: return float_rows<DType::kBF16, MR>(p, i0, j0, j1);
    case DType::kQ8_0:
    case DType::kQ4_0:    // quant_rows_many
    case DType::kF8E4M3:  // fp8_rows
    case DType::kI32:
    case DType::kI64:
    case DType::kU8:
    case DType::kI8:
    case DType::kI16:
    case DType::kF64: return;  // not admitted by supports()
  }
}

bool is_quant(DType t) { return t == DType::kQ8_0 || t == DType::kQ4_0; }

// Lane c of the result: the sum of s[c]'s eight lanes, for four vectors.
[[gnu::always_inline]] inline __m128i reduce4_epi32(const __m256i s[4]) {
  const __m256i a0 = _mm256_add_epi32(_mm256_unpacklo_epi32(s[0], s[1]), _mm256_unpackhi_epi32(s[0], s[1]));
  const __m256i a1 = _mm256_add_epi32(_mm256_unpacklo_epi32(s[2], s[3]), _mm256_unpackhi_epi32(s[2], s[3]));
  const __m256i b = _mm256_add_epi32(_mm256_unpacklo_epi64(a0, a1), _mm256_unpackhi_epi64(a0, a1));
  return _mm_add_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
}

// Quantised weights, x rows i0 .. i0 + L - 1 (batched decode, MTP verification), lanes = x rows:
// each weight block is unpacked and its scale converted once; every row's block sum goes to its own
// lane of one vector, which is offset, converted, scaled by dw · dx[row] and accumulated by one FMA
// for all L rows. The per-row tiles (quant_tile) convert, scale and accumulate each (row, block)
// apart: n = k = 2048, 8 rows: 2.2-2.6 cycles per (row, block) against 2.9, 115-145 GFLOP/s against
// 70-131 at 2 threads. Rows past m repeat row i0 and are not stored.
template <DType W, int L>
void quant_rows_lanes(const MatmulProblem& p, const QuantAct& a, int64_t i0, int64_t j_begin, int64_t j_end) {
  static_assert(L == 4 || L == 8, "four or eight lanes");
  const int64_t nb = p.k / 32, ls = lane_stride(p.m), rows = p.m - i0 < L ? p.m - i0 : L;
  const __m256i ones = _mm256_set1_epi16(1);
  const int8_t* x[L];
#pragma GCC unroll 8
  for (int i = 0; i < L; ++i) x[i] = a.q + (i0 + (i < rows ? i : 0)) * p.k;
  for (int64_t j = j_begin; j < j_end; ++j) {
    const uint8_t* row = p.w + j * p.w_stride;
    __m256 acc8 = _mm256_setzero_ps();
    __m128 acc4 = _mm_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i w = weights_of<W>(row, b);
      const float dw = block_scale<W>(row, b);
      const float* dx = a.d_lanes + b * ls + i0;  // i0 is a multiple of L: aligned
      const int32_t* offset = a.offset_lanes + b * ls + i0;
      __m256i s[L];
#pragma GCC unroll 8
      for (int i = 0; i < L; ++i) s[i] = block_products<W>(w, x[i] + b * 32, ones);
      if constexpr (L == 8) {
        __m256i sums = reduce8_epi32(s);
        if constexpr (W == DType::kQ4_0) sums = _mm256_sub_epi32(sums, _mm256_load_si256(reinterpret_cast<const __m256i*>(offset)));
        acc8 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(_mm256_set1_ps(dw), _mm256_load_ps(dx)), acc8);
      } else {
        __m128i sums = reduce4_epi32(s);
        if constexpr (W == DType::kQ4_0) sums = _mm_sub_epi32(sums, _mm_load_si128(reinterpret_cast<const __m128i*>(offset)));
        acc4 = _mm_fmadd_ps(_mm_cvtepi32_ps(sums), _mm_mul_ps(_mm_set1_ps(dw), _mm_load_ps(dx)), acc4);
      }
    }
    alignas(32) float lanes[8];
    if constexpr (L == 8) _mm256_store_ps(lanes, acc8);
    else _mm_store_ps(lanes, acc4);
    for (int64_t i = 0; i < rows; ++i) y_row(p, i0 + i)[j] = lanes[i];
  }
}

// Quantised weights, 2-63 x rows: eight rows at a time in lanes while seven or more are left
// (a seven-row slice pays one padding lane), then four, then 1-3 rows as tiles (four lanes for two
// rows measured 25-45% slower than the 2-row tile).
template <DType W>
void quant_rows_many(const MatmulProblem& p, const QuantAct& a, int64_t j0, int64_t j1) {
  int64_t i0 = 0;
  for (; p.m - i0 >= 7; i0 += 8) quant_rows_lanes<W, 8>(p, a, i0, j0, j1);
  for (; p.m - i0 >= kLaneMinRows; i0 += 4) quant_rows_lanes<W, 4>(p, a, i0, j0, j1);
  switch (p.m - i0) {
    case 1: return quant_rows<W, 1>(p, a, i0, j0, j1);
    case 2: return quant_rows<W, 2>(p, a, i0, j0, j1);
    case 3: return quant_rows<W, 3>(p, a, i0, j0, j1);
    default: return;
  }
}

void compute(const MatmulProblem& p, const QuantAct& a, int64_t n_begin, int64_t n_end) {
  for (int64_t j0 = n_begin; j0 < n_end; j0 += kRowBlock) {
    const int64_t j1 = j0 + kRowBlock < n_end ? j0 + kRowBlock : n_end;
    if (p.wtype == DType::kQ4_0) {
      quant_rows_many<DType::kQ4_0>(p, a, j0, j1);
      continue;
    }
    if (p.wtype == DType::kQ8_0) {
      quant_rows_many<DType::kQ8_0>(p, a, j0, j1);
      continue;
    }
    if (p.wtype == DType::kF8E4M3) {
      fp8_rows(p, j0, j1);
      continue;
    }
    int64_t i0 = 0;
    for (; i0 + kMR <= p.m; i0 += kMR) float_rows_for<kMR>(p, i0, j0, j1);
    switch (p.m - i0) {
      case 1: float_rows_for<1>(p, i0, j0, j1); break;
      case 2: float_rows_for<2>(p, i0, j0, j1); break;
      case 3: float_rows_for<3>(p, i0, j0, j1); break;
      default: break;
    }
  }
}

bool supports(DType wtype) {
  return wtype == DType::kF32 || wtype == DType::kF16 || wtype == DType::kBF16 || wtype == DType::kF8E4M3 ||
         is_quant(wtype);
}

// Quantised activations of one head: [m][k] int8, then [m][k/32] f32 scales, [m][k/32] int32 block
// sums, and the scales and 8·sums again in lanes ([k/32][lane_stride(m)], QuantAct).
size_t head_act_bytes(int64_t m, int64_t k) { return act_lanes_at(m, k) + 2 * lanes_bytes(m, k); }

bool use_gemm(const MatmulProblem& p) {
  if (is_quant(p.wtype)) return p.m >= kGemmQuantMinRows;
  return p.w_kn || p.m >= kGemmMinRows;
}

// Float weights: one packing panel per thread (kept for every m: w_kn problems always take the GEMM).
size_t scratch_bytes(int64_t m, int64_t k, DType wtype, int64_t num_heads, int num_threads) {
  const size_t gemm = static_cast<size_t>(num_threads) * gemm_thread_bytes();
  if (!is_quant(wtype)) return gemm;
  // Sized for every m up to this one: fewer rows may take the dot-product tiles.
  // The GEMM also holds x after its round trip through q8_0 (see run_gemm).
  const size_t act = static_cast<size_t>(num_heads) * head_act_bytes(m, k);
  const size_t gemm_x = gemm + static_cast<size_t>(num_heads * m * k) * sizeof(float);
  return m >= kGemmQuantMinRows && gemm_x > act ? gemm_x : act;
}

// Quantises rows [row_begin, row_end) of the (head, row) pairs, head-major, into each head's area.
void prepare(const MatmulProblem& p, uint8_t* scratch, int64_t row_begin, int64_t row_end) {
  const int64_t nb = p.k / 32;
  for (int64_t hr = row_begin; hr < row_end; ++hr) {
    const int64_t h = hr / p.m, i = hr % p.m;
    const MatmulProblem one = matmul_head(p, h);
    uint8_t* act = scratch + h * head_act_bytes(p.m, p.k);
    int8_t* q = reinterpret_cast<int8_t*>(act);
    float* d = reinterpret_cast<float*>(act + act_scales_at(p.m, p.k));
    int32_t* sum = reinterpret_cast<int32_t*>(act + act_sums_at(p.m, p.k));
    float* d_lanes = reinterpret_cast<float*>(act + act_lanes_at(p.m, p.k));
    int32_t* offset_lanes = reinterpret_cast<int32_t*>(act + act_lanes_at(p.m, p.k) + lanes_bytes(p.m, p.k));
    const int64_t ls = lane_stride(p.m);
    const float* x = x_row(one, i);
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i v = quantize_block(x + b * 32, d + i * nb + b);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i * p.k + b * 32), v);
      sum[i * nb + b] = hsum_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(ones8, v), ones16));
      if (p.m < kLaneMinRows) continue;
      d_lanes[b * ls + i] = d[i * nb + b];
      offset_lanes[b * ls + i] = 8 * sum[i * nb + b];
      if (i == 0)  // the padding lanes
        for (int64_t r = p.m; r < ls; ++r) d_lanes[b * ls + r] = 0.0f, offset_lanes[b * ls + r] = 0;
    }
  }
}

// One parallel region for the activations (quantised weights only), one for the products: threads
// split the (head, weight-row group) pairs, so each reads a disjoint part of the weights.
// Every thread packs the x rows and the weight rows of its part: split by weight rows it packs all of x
// and 1/nt of the weights, split by x rows the reverse. So threads split the larger of m and n (the
// training step's m = 2048 tokens by n = 256 outputs spent 11% of its time packing x twice).
// Quantised weights: x goes through q8_0 and back to f32 first (into scratch after the panels), so
// the GEMM multiplies exactly the values the dot-product tiles and the reference do (ggml quantises
// the activations of q8_0/q4_0 products); only the summation order differs.
void run_gemm(const MatmulProblem& p_in, ThreadPool& pool, uint8_t* scratch, int nt) {
  MatmulProblem p = p_in;
  if (is_quant(p.wtype)) {
    float* xq = reinterpret_cast<float*>(scratch + static_cast<size_t>(pool.num_threads()) * gemm_thread_bytes());
    run_on(pool, nt, [&](int t, int n_threads) {
      const Range r = thread_range(p.num_heads * p.m, t, n_threads, 1);
      for (int64_t hr = r.begin; hr < r.end; ++hr) {  // (head, row) pairs, head-major
        const float* x = x_row(matmul_head(p_in, hr / p.m), hr % p.m);
        float* out = xq + hr * p.k;
        for (int64_t b = 0; b < p.k / 32; ++b) {
          float d;
          const __m256i q = quantize_block(x + b * 32, &d);
          const __m256 vd = _mm256_set1_ps(d);
          const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
          const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};  // values 8u .. 8u + 7
          for (int u = 0; u < 4; ++u)
            _mm256_storeu_ps(out + b * 32 + 8 * u, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[u])), vd));
        }
      }
    });
    p.x = xq;
    p.x_stride = p.k * static_cast<int64_t>(sizeof(float));
    p.x_head_stride = p.m * p.x_stride;
  }
  const bool split_rows = p.num_heads == 1 && p.m > p.n;
  run_on(pool, nt, [&](int t, int n_threads) {
    uint8_t* panel = scratch + t * gemm_thread_bytes();
    if (split_rows) {
      const Range r = thread_range(p.m, t, n_threads, 1);
      gemm_f32(p, r.begin, r.end, 0, p.n, panel);
      return;
    }
    for_head_ranges(p.num_heads, p.n, t, n_threads, kGemmPanelRows, [&](int64_t h, int64_t n_begin, int64_t n_end) {
      gemm_f32(matmul_head(p, h), 0, p.m, n_begin, n_end, panel);
    });
  });
}

void run(const MatmulProblem& p, ThreadPool& pool, uint8_t* scratch) {
  const int nt = p.num_heads * p.m * p.n * p.k < kMinParallelMacs ? 1 : pool.num_threads();
  if (use_gemm(p)) return run_gemm(p, pool, scratch, nt);
  const int64_t act_rows = p.num_heads * p.m;
  if (is_quant(p.wtype)) {
    run_on(pool, act_rows == 1 ? 1 : nt, [&](int t, int n_threads) {
      const Range r = thread_range(act_rows, t, n_threads, 1);
      prepare(p, scratch, r.begin, r.end);
    });
  }
  run_on(pool, nt, [&](int t, int n_threads) {
    for_head_ranges(p.num_heads, p.n, t, n_threads, kGrain, [&](int64_t h, int64_t n_begin, int64_t n_end) {
      const QuantAct a = is_quant(p.wtype) ? quant_act(scratch + h * head_act_bytes(p.m, p.k), p.m, p.k)
                                           : QuantAct{nullptr, nullptr, nullptr, nullptr, nullptr};
      compute(matmul_head(p, h), a, n_begin, n_end);
    });
  });
}

}  // namespace

const MatmulBackend kMatmul = {&supports, &scratch_bytes, &run};

}  // namespace seek::kernels::avx2
