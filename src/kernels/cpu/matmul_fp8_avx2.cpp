// FP8 e4m3 weights with block scales (DeepSeek-V3/R1 checkpoints) for the AVX2 matmul below the
// GEMM's row count: dot products of 1-4 or 8 x rows against one weight row at a time, the FP8 bytes
// widened as they are read (fp8_avx2.h). From kGemmMinRows rows the GEMM takes FP8 weights, its
// panels widened and scaled while packing (matmul_gemm_avx2.cpp).
#include <immintrin.h>

#include "kernels/backend.h"
#include "kernels/cpu/fp8_avx2.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/widen_avx2.h"

namespace seek::kernels::avx2 {
namespace {

// MR (1-4) x rows against one FP8 weight row, in runs of values that share a block scale (128 along
// k in DeepSeek-V3's checkpoints): each run's partial sums are scaled once. 16 values are widened per
// step (fp8_avx2.h), into kChains independent sums per row so that one-row decode is not held to an
// FMA latency per 8 values. One row, whose widening is most of its work, looks for the NaN codes apart
// (Fp8NanCodes: two steps per 32 bytes instead of four per 16 values): one core, data in L2, n = 256,
// k = 2048, four alternating rounds: 48.9-49.3 us a product against 60.3-60.8.
template <int MR>
void fp8_tile(const MatmulProblem& p, int64_t i0, int64_t j) {
  constexpr int kChains = MR == 1 ? 4 : 2, kStep = 8 * kChains;
  const uint8_t* row = p.w + j * p.w_stride;
  const Fp8RowScales scales(p.w_scales, row);
  const float* x[MR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) x[i] = x_row(p, i0 + i);
  __m256 acc[MR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) acc[i] = _mm256_setzero_ps();
  Fp8NanCodes nan_codes;  // one row: the NaN codes are looked for apart (fp8x16_div256_finite)
  for (int64_t t = 0; t < p.k;) {
    const int64_t end = t + scales.run(t, p.k - t);
    const __m256 scale = scales.at8(t, 1);
    __m256 part[MR][kChains];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int c = 0; c < kChains; ++c) part[i][c] = _mm256_setzero_ps();
    for (; t + kStep <= end; t += kStep) {
      if constexpr (MR == 1) nan_codes.see32(row + t);
#pragma GCC unroll 2
      for (int c = 0; c < kChains; c += 2) {
        __m256 lo, hi;
        if constexpr (MR == 1)
          fp8x16_div256_finite(row + t + 8 * c, lo, hi);
        else
          fp8x16_div256(row + t + 8 * c, lo, hi);
#pragma GCC unroll 4
        for (int i = 0; i < MR; ++i) {
          part[i][c] = _mm256_fmadd_ps(lo, _mm256_loadu_ps(x[i] + t + 8 * c), part[i][c]);
          part[i][c + 1] = _mm256_fmadd_ps(hi, _mm256_loadu_ps(x[i] + t + 8 * c + 8), part[i][c + 1]);
        }
      }
    }
    for (; t < end; t += 8) {  // the run's last 1 .. kStep - 1 values
      const int64_t count = end - t < 8 ? end - t : 8;
      const __m256 w = widen8<DType::kF8E4M3>(row + t, static_cast<int>(count));
      const __m256i mask = tail_mask(count);
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) part[i][0] = _mm256_fmadd_ps(w, _mm256_maskload_ps(x[i] + t, mask), part[i][0]);
    }
    t = end;
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
      for (int c = 1; c < kChains; ++c) part[i][0] = _mm256_add_ps(part[i][0], part[i][c]);
      acc[i] = _mm256_fmadd_ps(part[i][0], scale, acc[i]);
    }
  }
  if (MR == 1 && nan_codes.any()) acc[0] = _mm256_set1_ps(__builtin_nanf(""));
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) y_row(p, i0 + i)[j] = hsum(acc[i]);
}

// Eight x rows against one FP8 weight row (batched decode, MTP verification): each 16 values are
// widened once for all eight rows, where two 4-row tiles widened them twice. Eight rows' partial sums
// per run and their totals would take all sixteen registers, so the widened values are multiplied by
// their run's scale first and each row keeps one sum. bench_matmul m = 8, 2 threads, three alternating
// rounds, GFLOP/s: n = k = 2048 59-68 -> 65-71; n = 1536, k = 8960 68-76 -> 71-91. Less than halving
// the conversions suggests: the eight x rows (8 x k floats) outgrow L1 and come from L2 for every
// weight row.
// Fewer than eight rows left (5-7) repeat row i0 in the others, which are not stored: one widening
// and a few idle products against a 4-row tile and a 1-3-row one each widening the weights (m = 5,
// three alternating rounds: 45-52 -> 52-59 GFLOP/s).
void fp8_tile8(const MatmulProblem& p, int64_t i0, int64_t j) {
  constexpr int kRows = 8;
  const int64_t rows = p.m - i0 < kRows ? p.m - i0 : kRows;
  const uint8_t* row = p.w + j * p.w_stride;
  const Fp8RowScales scales(p.w_scales, row);
  const float* x[kRows];
#pragma GCC unroll 8
  for (int i = 0; i < kRows; ++i) x[i] = x_row(p, i0 + (i < rows ? i : 0));
  __m256 acc[kRows];
#pragma GCC unroll 8
  for (int i = 0; i < kRows; ++i) acc[i] = _mm256_setzero_ps();
  for (int64_t t = 0; t < p.k;) {
    const int64_t end = t + scales.run(t, p.k - t);
    const __m256 scale = scales.at8(t, 1);
    for (; t + 16 <= end; t += 16) {
      __m256 lo, hi;
      fp8x16_div256(row + t, lo, hi);
      lo = _mm256_mul_ps(lo, scale);
      hi = _mm256_mul_ps(hi, scale);
#pragma GCC unroll 8
      for (int i = 0; i < kRows; ++i) {
        acc[i] = _mm256_fmadd_ps(lo, _mm256_loadu_ps(x[i] + t), acc[i]);
        acc[i] = _mm256_fmadd_ps(hi, _mm256_loadu_ps(x[i] + t + 8), acc[i]);
      }
    }
    for (; t < end; t += 8) {  // the run's last 1-15 values
      const int64_t count = end - t < 8 ? end - t : 8;
      const __m256 w = _mm256_mul_ps(widen8<DType::kF8E4M3>(row + t, static_cast<int>(count)), scale);
      const __m256i mask = tail_mask(count);
#pragma GCC unroll 8
      for (int i = 0; i < kRows; ++i) acc[i] = _mm256_fmadd_ps(w, _mm256_maskload_ps(x[i] + t, mask), acc[i]);
    }
    t = end;
  }
  for (int64_t i = 0; i < rows; ++i) y_row(p, i0 + i)[j] = hsum(acc[i]);
}

}  // namespace

void fp8_rows(const MatmulProblem& p, int64_t j0, int64_t j1) {
  int64_t i0 = 0;
  while (p.m - i0 >= 5) {  // eight rows, or the last 5-7 in an 8-row tile
    for (int64_t j = j0; j < j1; ++j) fp8_tile8(p, i0, j);
    i0 += p.m - i0 < 8 ? p.m - i0 : 8;
  }
  for (; i0 + 4 <= p.m; i0 += 4)
    for (int64_t j = j0; j < j1; ++j) fp8_tile<4>(p, i0, j);
  for (int64_t j = j0; j < j1; ++j) {
    switch (p.m - i0) {
      case 1: fp8_tile<1>(p, i0, j); break;
      case 2: fp8_tile<2>(p, i0, j); break;
      case 3: fp8_tile<3>(p, i0, j); break;
      default: break;
    }
  }
}

}  // namespace seek::kernels::avx2
