// The AVX2 matmul backend (CPUs without AVX-512, and AVX-512 CPUs without VNNI for q8_0/q4_0).
//
// Float and FP8 weights from kGemmMinRows x rows, quantised weights from gemm_quant_min_rows, and w_kn
// problems of more than kKnDirectMaxRows rows take the packed GEMM (matmul_gemm_avx2.cpp); smaller
// w_kn problems accumulate weight rows in registers (matmul_kn_avx2.cpp). Below that, dot products
// along k: float weights 1-4 x rows against 1-4 weight rows at once, lanes = k; FP8 weights in
// matmul_fp8_avx2.cpp; q8_0/q4_0 against x quantised to q8_0 in matmul_quant_avx2.cpp. The weight
// rows are taken in blocks of kRowBlock so that a block stays in L1/L2 while every slice of x passes
// over it.
#include "kernels/cpu/matmul_avx2.h"

#include <immintrin.h>

#include <cstdint>

#include "core/dtype.h"
#include "kernels/backend.h"
#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/widen_avx2.h"

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
// Quantised weights from this many rows take the f32 GEMM on panels dequantised while packing; below,
// the int8 products with x rows in lanes, 64-row groups of x over weight blocks that stay in cache
// (quant_rows_many). n = k = 2048, 2 threads, GFLOP/s lanes against GEMM: q4_0 (two blocks per
// vector) m = 64 167-180 / 75-119, m = 512 114-174 (median ~170) / 103-146; q8_0 m = 64 127-130 /
// 107-118, m = 512 106-125 / 117-153. q4_0 was not measured past 512 rows, which the engine never
// passes (its prefill chunks are at most 512 tokens).
// The K-quants never take it: their int8 products (matmul_kquant_avx2.cpp) outrun f32 panels at any m.
int64_t gemm_quant_min_rows(DType wtype) {
  return wtype == DType::kQ4_0 ? 1024 : reads_super_blocks(wtype) ? INT64_MAX : 128;
}

// ---- float weights ----

template <DType W>
__m256 load_weights(const uint8_t* row, int64_t t) {
  return widen8<W>(row + t * kWidenBytes<W>, 8);
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

// ---- driver: weight-row blocks outer, slices of x inner ----

template <int MR>
void float_rows_for(const MatmulProblem& p, int64_t i0, int64_t j0, int64_t j1) {
  switch (p.wtype) {
    case DType::kF32: return float_rows<DType::kF32, MR>(p, i0, j0, j1);
    case DType::kF16: return float_rows<DType::kF16, MR>(p, i0, j0, j1);
    case DType::kBF16: return float_rows<DType::kBF16, MR>(p, i0, j0, j1);
    case DType::kQ8_0:
    case DType::kQ4_0:    // quant_rows_many
    case DType::kQ4_K:    // k_quant_products
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kIQ4_NL:
    case DType::kIQ4_XS:
    case DType::kF8E4M3:  // fp8_rows
    case DType::kI32:
    case DType::kI64:
    case DType::kU8:
    case DType::kI8:
    case DType::kI16:
    case DType::kF64: return;  // not admitted by supports()
  }
}

bool is_quant(DType t) { return dtype_is_quantized(t); }

// act: the head's quantised x (quantised weights only).
void compute(const MatmulProblem& p, const uint8_t* act, int64_t n_begin, int64_t n_end) {
  for (int64_t j0 = n_begin; j0 < n_end; j0 += kRowBlock) {
    const int64_t j1 = j0 + kRowBlock < n_end ? j0 + kRowBlock : n_end;
    if (is_quant(p.wtype)) {
      quant_products(p, act, j0, j1);
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

bool use_gemm(const MatmulProblem& p) {
  if (p.w_kn) return true;  // the dot-product kernels read weight rows along k; w_kn has none
  if (is_quant(p.wtype)) return p.m >= gemm_quant_min_rows(p.wtype);
  return p.m >= kGemmMinRows;
}

// Float weights: one packing panel per thread (kept for every m; w_kn problems of every weight type
// are sized as f32, matmul.cpp, for the GEMM they take from kKnDirectMaxRows rows).
size_t scratch_bytes(int64_t m, int64_t k, DType wtype, int64_t num_heads, int num_threads) {
  const size_t gemm = static_cast<size_t>(num_threads) * gemm_thread_bytes();
  if (!is_quant(wtype)) return gemm;
  // Sized for every m up to this one: fewer rows may take the dot-product tiles.
  // The GEMM also holds x after its round trip through q8_0 (see run_gemm).
  const size_t act = static_cast<size_t>(num_heads) * quant_head_bytes(m, k);
  const size_t gemm_x = gemm + static_cast<size_t>(num_heads * m * k) * sizeof(float);
  return m >= gemm_quant_min_rows(wtype) && gemm_x > act ? gemm_x : act;
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
  if (is_quant(p.wtype) && !p.w_kn) {  // w_kn: x exact, as MatmulProblem::w_kn says
    float* xq =
        reinterpret_cast<float*>(scratch + static_cast<size_t>(pool.num_threads()) * gemm_thread_bytes());
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
          const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi,
                                    _mm_srli_si128(hi, 8)};  // values 8u .. 8u + 7
          for (int u = 0; u < 4; ++u)
            _mm256_storeu_ps(out + b * 32 + 8 * u,
                             _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[u])), vd));
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
    for_head_ranges(p.num_heads, p.n, t, n_threads, kGemmPanelRows,
                    [&](int64_t h, int64_t n_begin, int64_t n_end) {
                      gemm_f32(matmul_head(p, h), 0, p.m, n_begin, n_end, panel);
                    });
  });
}

// The dot-product path as a RowsPath: x quantised per head for q8_0/q4_0 weights, read in place
// otherwise. Every w_kn problem takes the GEMM or kn_products (use_gemm).
bool takes_rows(const MatmulProblem& p) { return !use_gemm(p); }
size_t rows_act_bytes(int64_t m, int64_t k, DType wtype) {
  return is_quant(wtype) ? quant_head_bytes(m, k) : 0;
}
void rows_prepare(const MatmulProblem& head, int64_t i_begin, int64_t i_end, uint8_t* act) {
  quantise_x(head, act, i_begin, i_end);
}
const RowsPath kDotRows = {&takes_rows, &rows_act_bytes, &rows_prepare, &compute, kGrain, kMinParallelMacs};

void run(const MatmulProblem& p, ThreadPool& pool, uint8_t* scratch) {
  const int nt = p.num_heads * p.m * p.n * p.k < kMinParallelMacs ? 1 : pool.num_threads();
  if (kn_rows_direct(p)) {
    return run_on(pool, nt, [&](int t, int n_threads) {
      for_head_ranges(p.num_heads, p.n, t, n_threads, 32, [&](int64_t h, int64_t n_begin, int64_t n_end) {
        kn_products(matmul_head(p, h), n_begin, n_end);
      });
    });
  }
  if (use_gemm(p)) return run_gemm(p, pool, scratch, nt);
  run_rows(kDotRows, &p, 1, pool, scratch);
}

}  // namespace

const MatmulBackend kMatmul = {&supports, &scratch_bytes, &run, &kDotRows};

}  // namespace seek::kernels::avx2
