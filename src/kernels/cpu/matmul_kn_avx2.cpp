// y = x · w with w stored [k, n] (MatmulProblem::w_kn) for a few x rows: absorbed MLA's decode query
// q_lat[h] = q_nope[h] · W_UK[h], W_UK[h] being 128 rows of kv_b_proj as the file stores them.
//
// Blocks run along n, across the sum, so there is no blockwise integer product: each weight row t is
// widened 32 columns at a time (one q8_0/q4_0 block) and added into register accumulators,
//   acc[r][0..32) += (x[r][t] · scale_t) · w[t][0..32),
// where scale_t is what the widened values still lack: the block's d for q8_0/q4_0, 256 times the
// block scale for FP8 (fp8_avx2.h), nothing for float types. Folding the scale into the broadcast
// x value leaves one f32 rounding more than the reference's x · (d · q), and no multiply per value.
// The packed GEMM does the same product with a panel per 16 columns; for one row its packing pass
// and two accumulator chains made V2-Lite's decode 12% slower than the bf16 GEMV on a widened copy
// of W_UKᵀ did (~280 us a layer against ~90). This kernel takes ~105, and no copy.
#include <immintrin.h>

#include "core/dtype.h"
#include "kernels/cpu/fp8_avx2.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/widen_avx2.h"

namespace seek::kernels::avx2 {
namespace {

constexpr int kCols = 32;           // columns per tile: one q8_0/q4_0 block, four ymm accumulators per x row
constexpr int64_t kChunkRows = 16;  // weight rows per pass over the column tiles (see products)

// The 32 values from `p` (a q8_0/q4_0 block, or float values: count <= 32 of them) as four f32
// vectors, and the factor they lack (the block's d; float types 1, FP8 its unit: see above).
template <DType W>
[[gnu::always_inline]] inline float load32(const uint8_t* p, int count, __m256 v[4]) {
  if constexpr (W == DType::kQ8_0) {
    const BlockQ8_0* b = reinterpret_cast<const BlockQ8_0*>(p);
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c)
      v[c] = _mm256_cvtepi32_ps(
          _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b->qs + 8 * c))));
    return _cvtsh_ss(b->d);
  } else if constexpr (W == DType::kQ4_0) {
    // Byte j holds value j (low nibble) and value j + 16 (high nibble); q - 8 as int8 before widening.
    const BlockQ4_0* b = reinterpret_cast<const BlockQ4_0*>(p);
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b->qs));
    const __m128i nibble = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(raw, nibble), eight);
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), nibble), eight);
    v[0] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo));
    v[1] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)));
    v[2] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi));
    v[3] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)));
    return _cvtsh_ss(b->d);
  } else {
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const int left = count - 8 * c;
      v[c] = left <= 0 ? _mm256_setzero_ps() : widen8<W>(p + 8 * c * kWidenBytes<W>, left < 8 ? left : 8);
    }
    return W == DType::kF8E4M3 ? kFp8Unit : 1.0f;
  }
}

// FP8 block scales down one 32-column run of the stored weight: row t of the view is stored row
// r0 + t · step, and its multiplier scale[(stored row >> shift) · cols + block column].
struct ScaleColumn {
  const float* first = nullptr;  // the run's block column in scale row 0; null: no scales (1)
  int64_t r0 = 0, step = 0, cols = 0;
  int shift = 0;
  float at(int64_t t) const { return first == nullptr ? 1.0f : first[((r0 + t * step) >> shift) * cols]; }
};

ScaleColumn scale_column(const MatmulProblem& p, const uint8_t* w) {
  if (p.wtype != DType::kF8E4M3 || p.w_scales == nullptr) return {};
  const BlockScales& s = *p.w_scales;
  const int64_t off = w - s.base;
  return {s.scale + (off % s.row_bytes) / s.block_cols, off / s.row_bytes, p.w_stride / s.row_bytes,
          s.scale_cols, __builtin_ctzll(static_cast<unsigned long long>(s.block_rows))};
}

// y[i0 .. i0 + R, j0 .. j0 + count) over weight rows [t0, t1); add: onto what y holds.
template <DType W, int R>
void tile(const MatmulProblem& p, int64_t i0, int64_t j0, int count, int64_t t0, int64_t t1, bool add) {
  const uint8_t* column = p.w + static_cast<int64_t>(dtype_row_bytes(W, j0));  // j0: whole blocks
  const uint8_t* w = column + t0 * p.w_stride;
  const ScaleColumn scales = scale_column(p, column);
  const float* x[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) x[r] = x_row(p, i0 + r);
  __m256 acc[R][4];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm256_setzero_ps();
  for (int64_t t = t0; t < t1; ++t, w += p.w_stride) {
    __m256 v[4];
    float scale = load32<W>(w, count, v);
    if constexpr (W == DType::kF8E4M3) scale *= scales.at(t);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m256 xs = _mm256_set1_ps(
          W == DType::kF32 || W == DType::kF16 || W == DType::kBF16 ? x[r][t] : x[r][t] * scale);
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) acc[r][c] = _mm256_fmadd_ps(xs, v[c], acc[r][c]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    float* y = y_row(p, i0 + r) + j0;
    if (count == kCols) {  // whole tiles without masks: a masked store is microcoded on AMD
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c)
        _mm256_storeu_ps(y + 8 * c, add ? _mm256_add_ps(acc[r][c], _mm256_loadu_ps(y + 8 * c)) : acc[r][c]);
      continue;
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const int left = count - 8 * c;
      if (left <= 0) break;
      const __m256i mask = tail_mask(left < 8 ? left : 8);
      __m256 out = acc[r][c];
      if (add) out = _mm256_add_ps(out, _mm256_maskload_ps(y + 8 * c, mask));
      _mm256_maskstore_ps(y + 8 * c, mask, out);
    }
  }
}

// Towards L1: the bytes of columns [j_begin, j_end) in weight rows [t0, t1).
void prefetch_chunk(const MatmulProblem& p, DType wtype, int64_t t0, int64_t t1, int64_t j_begin,
                    int64_t j_end) {
  const int64_t first = static_cast<int64_t>(dtype_row_bytes(wtype, j_begin));
  const int64_t last = static_cast<int64_t>(dtype_row_bytes(wtype, j_end));
  for (int64_t t = t0; t < t1; ++t)
    for (int64_t b = first; b < last; b += 64)
      _mm_prefetch(reinterpret_cast<const char*>(p.w + t * p.w_stride + b), _MM_HINT_T0);
}

// The sum runs over k in chunks of kChunkRows weight rows, each chunk through every column tile while
// its rows are in L1 (partial sums kept in y between chunks), and the next chunk's bytes are fetched
// meanwhile. A tile reads 18-64 bytes of each row, rows w_stride bytes apart, which the hardware
// prefetchers do not follow: a cold V2-Lite layer (16 heads of q4_0 [128, 512]) took ~250 us tile by
// tile over all k, ~160 in chunks, ~105 in chunks with the prefetch (the bf16 GEMV it replaces: ~90).
template <DType W>
void products(const MatmulProblem& p, int64_t j_begin, int64_t j_end) {
  for (int64_t t0 = 0; t0 < p.k; t0 += kChunkRows) {
    const int64_t t1 = p.k - t0 < kChunkRows ? p.k : t0 + kChunkRows;
    const bool add = t0 > 0 || p.accumulate;
    if (t0 == 0) prefetch_chunk(p, W, 0, t1, j_begin, j_end);
    prefetch_chunk(p, W, t1, t1 + kChunkRows < p.k ? t1 + kChunkRows : p.k, j_begin, j_end);
    for (int64_t j0 = j_begin; j0 < j_end; j0 += kCols) {
      const int count = static_cast<int>(j_end - j0 < kCols ? j_end - j0 : kCols);
      int64_t i0 = 0;
      for (; i0 + 2 <= p.m; i0 += 2) tile<W, 2>(p, i0, j0, count, t0, t1, add);
      if (i0 < p.m) tile<W, 1>(p, i0, j0, count, t0, t1, add);
    }
  }
}

}  // namespace

bool kn_rows_direct(const MatmulProblem& p) {
  if (!p.w_kn || p.x_km || p.m > kKnDirectMaxRows || p.k == 0) return false;  // k = 0: the GEMM zeroes y
  if (reads_super_blocks(p.wtype)) return false;  // the GEMM packs them (matmul_gemm_avx2.cpp)
  if (p.wtype != DType::kF8E4M3 || p.w_scales == nullptr) return true;
  // FP8 scales: each 32-column run must lie in one scale block, and every view row t a whole stored row.
  const BlockScales& s = *p.w_scales;
  const bool pow2_rows = (s.block_rows & (s.block_rows - 1)) == 0;
  return pow2_rows && s.block_cols % kCols == 0 && p.w_stride % s.row_bytes == 0 &&
         p.w_head_stride % s.row_bytes == 0 && (p.w - s.base) % s.row_bytes % kCols == 0;
}

void kn_products(const MatmulProblem& p, int64_t j_begin, int64_t j_end) {
  switch (p.wtype) {
    case DType::kF16: return products<DType::kF16>(p, j_begin, j_end);
    case DType::kBF16: return products<DType::kBF16>(p, j_begin, j_end);
    case DType::kQ8_0: return products<DType::kQ8_0>(p, j_begin, j_end);
    case DType::kQ4_0: return products<DType::kQ4_0>(p, j_begin, j_end);
    case DType::kF8E4M3: return products<DType::kF8E4M3>(p, j_begin, j_end);
    default: return products<DType::kF32>(p, j_begin, j_end);
  }
}

}  // namespace seek::kernels::avx2
