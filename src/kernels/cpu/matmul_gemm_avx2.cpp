// Prefill and training matmuls with AVX2 + FMA: a packed, register-tiled GEMM for float weights (FP8
// e4m3 ones widened and times their block scales while packing), and for q8_0/q4_0 weights from
// gemm_quant_min_rows x rows (matmul_avx2.cpp), panels dequantised to f32 while packing.
//
// The blocking of BLIS / GotoBLAS at AVX2 width. Loop nest per thread (its outputs [n_begin, n_end)):
//   for each block of kBlockCols weight rows (outputs):
//     for each k chunk of kChunk values:
//       pack the block's weights as panels [t][16] (transposed, widened to f32): 256 KB, in L2/L3
//       for each block of kBlockRows x rows (96 KB of x, kept in L2 while every panel passes):
//         for each panel (16 KB: stays in L1): for each tile of up to kMR rows: micro-kernel.
// The micro-kernel holds MR x 16 outputs in 2·MR registers; each k step loads two panel vectors
// (lanes = outputs) and broadcasts one x value per row: 2·MR FMAs for MR + 2 loads. With MR = 6:
// 12 accumulators + 2 weights + 1 broadcast = 15 of 16 ymm registers.
// x rows are read in place: packing them as well ([t][8] tiles) measured no faster at m = 512 and
// cost the training step's narrow products (n <= 256, one k chunk) a quarter of their time. x stored
// [k, m] (x_km, the weight gradient dyᵀ·x) is packed, by a plain copy (see XPacked).
#include <immintrin.h>

#include <cstring>

#include "core/dtype.h"
#include "core/quant_iq4.h"
#include "core/quant_k.h"
#include "core/quant_legacy.h"
#include "kernels/cpu/fp8_avx2.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/widen_avx2.h"

namespace seek::kernels::avx2 {
namespace {

constexpr int kNR = static_cast<int>(kGemmPanelRows);
constexpr int64_t kChunk = 256;      // k values per chunk: one panel = 256 x 16 x 4 B = 16 KB
constexpr int64_t kBlockCols = 256;  // weight rows packed per chunk: 16 panels, 256 KB
constexpr int64_t kBlockRows = 96;   // x rows per block: 96 x 256 x 4 B = 96 KB, stays in L2
constexpr int kMR = 6;
constexpr int64_t kPanelFloats = kChunk * kNR;
constexpr int64_t kBlockTiles = (kBlockRows + kMR - 1) / kMR;
constexpr int kTileLd = 8;  // packed x_km tile: value t of tile row i at [t * 8 + i]
constexpr int64_t kTileFloats = kChunk * kTileLd;

// Where a tile's x values live: row pointers (x[i][t]), or a packed strip (x_km problems, below).
struct XRows {
  const float* x[kMR];
  const float* at(int i, int64_t t) const { return x[i] + t; }
};
// x_km tiles are packed first: in place, each k step's MR values sit in a different row of x (a
// new cache line per step, 256 lines per tile that evict the panel from L1); packed they are one
// contiguous [kc][8] strip, copied once per row block and chunk and read by every panel.
struct XPacked {
  const float* xp;
  const float* at(int i, int64_t t) const { return xp + t * kTileLd + i; }
};

template <int MR, typename X>
void kernel(const X& x, const float* panel, int64_t kc, float* const* y, int ncols, bool accumulate) {
  // The outputs are read (accumulate) and written only after the k loop; fetching their lines now
  // hides the L3 latency behind the loop (y rows are n floats apart: no prefetcher sees them).
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(y[i]), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(y[i] + kNR - 1), _MM_HINT_T0);
  }
  __m256 acc[MR][2];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  // Unrolled: a k step is 12 FMAs, and the loop's own increment, compare and branch per step cost
  // about a tenth of the rate on Zen 3 (training shapes at 2 threads: ~140 -> ~160 GFLOP/s hot).
#pragma GCC unroll 8
  for (int64_t t = 0; t < kc; ++t) {
    const __m256 w0 = _mm256_load_ps(panel + t * kNR), w1 = _mm256_load_ps(panel + t * kNR + 8);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m256 xb = _mm256_broadcast_ss(x.at(i, t));
      acc[i][0] = _mm256_fmadd_ps(w0, xb, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(w1, xb, acc[i][1]);
    }
  }
  if (ncols == kNR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      if (accumulate) {
        acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(y[i]));
        acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(y[i] + 8));
      }
      _mm256_storeu_ps(y[i], acc[i][0]);
      _mm256_storeu_ps(y[i] + 8, acc[i][1]);
    }
    return;
  }
  const __m256i m0 = tail_mask(ncols < 8 ? ncols : 8), m1 = tail_mask(ncols > 8 ? ncols - 8 : 0);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (accumulate) {
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_maskload_ps(y[i], m0));
      acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_maskload_ps(y[i] + 8, m1));
    }
    _mm256_maskstore_ps(y[i], m0, acc[i][0]);
    _mm256_maskstore_ps(y[i] + 8, m1, acc[i][1]);
  }
}

// ---- software prefetch: the operands of small products arrive cold from the previous op, and at
// kc = 32..64 (attention heads) a tile is too short for the hardware prefetchers to ramp up; cold
// operands halved the rate of the training step's attention products (hot 60-75 GFLOP/s, cold 21-30).

// Lines of `rows` rows (row i at base + i * stride bytes), `bytes` bytes each, towards L1.
void prefetch_rows(const uint8_t* base, int64_t stride, int64_t rows, int64_t bytes) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t b = 0; b < bytes; b += 64) _mm_prefetch(reinterpret_cast<const char*>(base + i * stride + b), _MM_HINT_T0);
}

// ---- panel packing: weight rows [j0, j0 + nrows) x k range [k0, k0 + kc) -> panel[t][16] ----

// Values t .. t + count (count <= 8) of a weight row as f32, zero past count. Quantised rows are
// read 8 values at a time (count is 8: k and the chunks are multiples of 32), all in one block.
template <DType W>
__m256 load8(const uint8_t* row, int64_t t, int count) {
  if constexpr (W == DType::kQ8_0) {
    const uint8_t* block = row + (t / 32) * static_cast<int64_t>(sizeof(BlockQ8_0));
    uint16_t d;
    __builtin_memcpy(&d, block, 2);
    const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 2 + t % 32));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), _mm256_set1_ps(_cvtsh_ss(d)));
  } else if constexpr (W == DType::kQ4_0) {
    // Byte j of a block holds value j (low nibble) and value j + 16 (high nibble).
    const uint8_t* block = row + (t / 32) * static_cast<int64_t>(sizeof(BlockQ4_0));
    uint16_t d;
    __builtin_memcpy(&d, block, 2);
    const int o = static_cast<int>(t % 32);
    __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + 2 + (o & 15)));
    if (o >= 16) q = _mm_srli_epi16(q, 4);
    const __m256i v = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_and_si128(q, _mm_set1_epi8(0x0F))), _mm256_set1_epi32(8));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(_cvtsh_ss(d)));
  } else if constexpr (W == DType::kQ2_K || W == DType::kQ3_K || W == DType::kQ4_K || W == DType::kQ5_K ||
                       W == DType::kQ6_K) {
    // Only absorbed MLA's W_UK (w_kn, from a K-quant kv_b_proj) packs these: value by value.
    const uint8_t* block = row + (t / kQK_K) * static_cast<int64_t>(dtype_block_bytes(W));
    alignas(32) float v[8];
    for (int c = 0; c < 8; ++c) v[c] = k_quant_value(W, block, static_cast<int>(t % kQK_K) + c);
    return _mm256_load_ps(v);
  } else if constexpr (W == DType::kQ4_1 || W == DType::kQ5_0 || W == DType::kQ5_1) {  // likewise
    const uint8_t* block = row + (t / 32) * static_cast<int64_t>(dtype_block_bytes(W));
    alignas(32) float v[8];
    for (int c = 0; c < 8; ++c) v[c] = legacy_value(W, block, static_cast<int>(t % 32) + c);
    return _mm256_load_ps(v);
  } else if constexpr (W == DType::kIQ4_NL || W == DType::kIQ4_XS) {  // likewise
    constexpr int kPerBlock = W == DType::kIQ4_NL ? 32 : kQK_K;
    const uint8_t* block = row + (t / kPerBlock) * static_cast<int64_t>(dtype_block_bytes(W));
    alignas(32) float v[8];
    for (int c = 0; c < 8; ++c) v[c] = iq4_value(W, block, static_cast<int>(t % kPerBlock) + c);
    return _mm256_load_ps(v);
  } else {  // FP8 as value / 256: pack_rows and pack_kn apply 256 · the block scale
    return widen8<W>(row + t * kWidenBytes<W>, count);
  }
}

// Inlined so that the eight rows stay in registers (called, they went through the stack).
[[gnu::always_inline]] inline void transpose_8x8(__m256 r[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

// The first `count` transposed vectors, v[c] to dst + c * ld (a full block without a loop).
[[gnu::always_inline]] inline void store_columns(const __m256 v[8], int count, float* dst, int64_t ld) {
  if (count == 8) {
#pragma GCC unroll 8
    for (int c = 0; c < 8; ++c) _mm256_store_ps(dst + c * ld, v[c]);
    return;
  }
  for (int c = 0; c < count; ++c) _mm256_store_ps(dst + c * ld, v[c]);
}

// Weights stored [n, k]: 8 rows x 8 values at a time, transposed.
template <DType W>
void pack_rows(const MatmulProblem& p, int64_t j0, int nrows, int64_t k0, int64_t kc, float* panel) {
  for (int half = 0; half < 2; ++half) {
    const int rows = nrows - 8 * half;
    const uint8_t* row[8];
    for (int r = 0; r < 8; ++r) row[r] = p.w + (j0 + 8 * half + (r < rows ? r : 0)) * p.w_stride;
    // FP8: each row's block scales, placed once per panel (unused for other types).
    const Fp8RowScales scales[8] = {{p.w_scales, row[0]}, {p.w_scales, row[1]}, {p.w_scales, row[2]},
                                    {p.w_scales, row[3]}, {p.w_scales, row[4]}, {p.w_scales, row[5]},
                                    {p.w_scales, row[6]}, {p.w_scales, row[7]}};
    for (int64_t t = 0; t < kc; t += 8) {
      const int count = kc - t < 8 ? static_cast<int>(kc - t) : 8;
      __m256 v[8];
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) {
        v[r] = r < rows ? load8<W>(row[r], k0 + t, count) : _mm256_setzero_ps();
        if constexpr (W == DType::kF8E4M3) v[r] = _mm256_mul_ps(v[r], scales[r].at8(k0 + t, count));
      }
      transpose_8x8(v);
      store_columns(v, count, panel + t * kNR + 8 * half, kNR);
    }
  }
}

// Weights stored [k, n] (MatmulProblem::w_kn): row k0 + t already holds the panel's 16 outputs side by
// side, so packing widens two runs of 8 values (times their FP8 block scales). Quantised rows: the
// panel is half of one block (panels start at multiples of 16, and quantised n is a multiple of 32).
template <DType W>
void pack_kn(const MatmulProblem& p, int64_t j0, int nrows, int64_t k0, int64_t kc, float* panel) {
  const int c0 = nrows < 8 ? nrows : 8, c1 = nrows > 8 ? nrows - 8 : 0;
  for (int64_t t = 0; t < kc; ++t) {
    const uint8_t* row = p.w + (k0 + t) * p.w_stride;
    __m256 v0 = load8<W>(row, j0, c0);
    __m256 v1 = c1 > 0 ? load8<W>(row, j0 + 8, c1) : _mm256_setzero_ps();
    if constexpr (W == DType::kF8E4M3) {
      const Fp8RowScales scales(p.w_scales, row);
      v0 = _mm256_mul_ps(v0, scales.at8(j0, c0));
      if (c1 > 0) v1 = _mm256_mul_ps(v1, scales.at8(j0 + 8, c1));
    }
    _mm256_store_ps(panel + t * kNR, v0);
    _mm256_store_ps(panel + t * kNR + 8, v1);
  }
}

// The weight values pack_panel will read.
void prefetch_panel(const MatmulProblem& p, int64_t j0, int nrows, int64_t k0, int64_t kc) {
  if (dtype_is_quantized(p.wtype)) {
    const int64_t block = static_cast<int64_t>(dtype_block_bytes(p.wtype)), values = dtype_block_size(p.wtype);
    if (p.w_kn) return prefetch_rows(p.w + k0 * p.w_stride + j0 / values * block, p.w_stride, kc, block);
    return prefetch_rows(p.w + j0 * p.w_stride + k0 / values * block, p.w_stride, nrows, kc / values * block);
  }
  const int64_t elem = p.wtype == DType::kF32 ? 4 : p.wtype == DType::kF8E4M3 ? 1 : 2;
  if (p.w_kn) return prefetch_rows(p.w + k0 * p.w_stride + j0 * elem, p.w_stride, kc, nrows * elem);
  prefetch_rows(p.w + j0 * p.w_stride + k0 * elem, p.w_stride, nrows, kc * elem);
}

void pack_panel(const MatmulProblem& p, int64_t j0, int nrows, int64_t k0, int64_t kc, float* panel) {
  if (p.w_kn) {
    switch (p.wtype) {
      case DType::kF16: return pack_kn<DType::kF16>(p, j0, nrows, k0, kc, panel);
      case DType::kBF16: return pack_kn<DType::kBF16>(p, j0, nrows, k0, kc, panel);
      case DType::kQ8_0: return pack_kn<DType::kQ8_0>(p, j0, nrows, k0, kc, panel);
      case DType::kQ4_0: return pack_kn<DType::kQ4_0>(p, j0, nrows, k0, kc, panel);
      case DType::kF8E4M3: return pack_kn<DType::kF8E4M3>(p, j0, nrows, k0, kc, panel);
      case DType::kQ4_K: return pack_kn<DType::kQ4_K>(p, j0, nrows, k0, kc, panel);
      case DType::kQ5_K: return pack_kn<DType::kQ5_K>(p, j0, nrows, k0, kc, panel);
      case DType::kQ6_K: return pack_kn<DType::kQ6_K>(p, j0, nrows, k0, kc, panel);
      case DType::kQ2_K: return pack_kn<DType::kQ2_K>(p, j0, nrows, k0, kc, panel);
      case DType::kQ3_K: return pack_kn<DType::kQ3_K>(p, j0, nrows, k0, kc, panel);
      case DType::kQ4_1: return pack_kn<DType::kQ4_1>(p, j0, nrows, k0, kc, panel);
      case DType::kQ5_0: return pack_kn<DType::kQ5_0>(p, j0, nrows, k0, kc, panel);
      case DType::kQ5_1: return pack_kn<DType::kQ5_1>(p, j0, nrows, k0, kc, panel);
      case DType::kIQ4_NL: return pack_kn<DType::kIQ4_NL>(p, j0, nrows, k0, kc, panel);
      case DType::kIQ4_XS: return pack_kn<DType::kIQ4_XS>(p, j0, nrows, k0, kc, panel);
      default: return pack_kn<DType::kF32>(p, j0, nrows, k0, kc, panel);
    }
  }
  if (p.wtype == DType::kF16) return pack_rows<DType::kF16>(p, j0, nrows, k0, kc, panel);
  if (p.wtype == DType::kBF16) return pack_rows<DType::kBF16>(p, j0, nrows, k0, kc, panel);
  if (p.wtype == DType::kQ8_0) return pack_rows<DType::kQ8_0>(p, j0, nrows, k0, kc, panel);
  if (p.wtype == DType::kQ4_0) return pack_rows<DType::kQ4_0>(p, j0, nrows, k0, kc, panel);
  if (p.wtype == DType::kF8E4M3) return pack_rows<DType::kF8E4M3>(p, j0, nrows, k0, kc, panel);
  pack_rows<DType::kF32>(p, j0, nrows, k0, kc, panel);
}

// The heights of the tiles covering `m` rows: ceil(m / kMR) tiles of nearly equal height (m = 7 ->
// 4 + 3, not 6 + 1: a one-row tile has two accumulator chains and stalls on FMA latency).
int tile_rows(int64_t m, int64_t tile) {
  const int64_t tiles = (m + kMR - 1) / kMR;
  return static_cast<int>(m / tiles + (tile < m % tiles ? 1 : 0));
}

// xp: the tile packed (x_km problems), or null to read x rows in place.
template <int MR>
void run_tile(const MatmulProblem& p, const float* xp, const float* panel, int64_t i0, int64_t j0, int64_t k0,
              int64_t kc, int ncols, bool accumulate) {
  float* y[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) y[i] = y_row(p, i0 + i) + j0;
  if (xp != nullptr) return kernel<MR>(XPacked{xp}, panel, kc, y, ncols, accumulate);
  XRows x{};
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) x.x[i] = x_row(p, i0 + i) + k0;
  kernel<MR>(x, panel, kc, y, ncols, accumulate);
}

void run_tile_rows(int rows, const MatmulProblem& p, const float* xp, const float* panel, int64_t i0, int64_t j0,
                   int64_t k0, int64_t kc, int ncols, bool accumulate) {
  switch (rows) {
    case 1: return run_tile<1>(p, xp, panel, i0, j0, k0, kc, ncols, accumulate);
    case 2: return run_tile<2>(p, xp, panel, i0, j0, k0, kc, ncols, accumulate);
    case 3: return run_tile<3>(p, xp, panel, i0, j0, k0, kc, ncols, accumulate);
    case 4: return run_tile<4>(p, xp, panel, i0, j0, k0, kc, ncols, accumulate);
    case 5: return run_tile<5>(p, xp, panel, i0, j0, k0, kc, ncols, accumulate);
    default: return run_tile<kMR>(p, xp, panel, i0, j0, k0, kc, ncols, accumulate);
  }
}

// Columns [i0, i0 + rows) of x stored [k, m], values [k0, k0 + kc), as xp[t][8].
void pack_columns(const MatmulProblem& p, int64_t i0, int rows, int64_t k0, int64_t kc, float* xp) {
  const int64_t ld = p.x_stride / static_cast<int64_t>(sizeof(float));
  const __m256i mask = tail_mask(rows);
  for (int64_t t = 0; t < kc; ++t) _mm256_store_ps(xp + t * kTileLd, _mm256_maskload_ps(p.x + (k0 + t) * ld + i0, mask));
}

}  // namespace

size_t gemm_thread_bytes() {
  return static_cast<size_t>((kBlockCols / kNR) * kPanelFloats + kBlockTiles * kTileFloats) * sizeof(float);
}

void gemm_f32(const MatmulProblem& p, int64_t m_begin, int64_t m_end, int64_t n_begin, int64_t n_end,
              uint8_t* thread_scratch) {
  if (m_begin >= m_end || n_begin >= n_end) return;
  if (p.k == 0 && !p.accumulate) {  // an empty sum
    for (int64_t i = m_begin; i < m_end; ++i) std::memset(y_row(p, i) + n_begin, 0, static_cast<size_t>(n_end - n_begin) * 4);
    return;
  }
  float* panels = reinterpret_cast<float*>(thread_scratch);
  float* tiles = p.x_km ? panels + (kBlockCols / kNR) * kPanelFloats : nullptr;
  // Rows are tiled over the whole range [m_begin, m_end), so row blocks hold whole tiles.
  const int64_t m = m_end - m_begin, n_tiles = (m + kMR - 1) / kMR;
  for (int64_t jc = n_begin; jc < n_end; jc += kBlockCols) {
    const int64_t nc = n_end - jc < kBlockCols ? n_end - jc : kBlockCols, n_panels = (nc + kNR - 1) / kNR;
    for (int64_t k0 = 0; k0 < p.k; k0 += kChunk) {
      const int64_t kc = p.k - k0 < kChunk ? p.k - k0 : kChunk;
      const bool accumulate = k0 > 0 || p.accumulate;
      for (int64_t q = 0; q < n_panels; ++q) {
        const int cols = static_cast<int>(nc - q * kNR < kNR ? nc - q * kNR : kNR);
        const int64_t next = (q + 1) * kNR;  // the next panel's weights, while this one is packed
        if (next < nc) prefetch_panel(p, jc + next, static_cast<int>(nc - next < kNR ? nc - next : kNR), k0, kc);
        pack_panel(p, jc + q * kNR, cols, k0, kc, panels + q * kPanelFloats);
      }
      int64_t i0 = m_begin;
      for (int64_t tile0 = 0; tile0 < n_tiles; tile0 += kBlockTiles) {
        const int64_t block_tiles = n_tiles - tile0 < kBlockTiles ? n_tiles - tile0 : kBlockTiles;
        int64_t row = i0;
        for (int64_t u = 0; tiles != nullptr && u < block_tiles; ++u) {
          const int rows = tile_rows(m, tile0 + u);
          pack_columns(p, row, rows, k0, kc, tiles + u * kTileFloats);
          row += rows;
        }
        for (int64_t q = 0; q < n_panels; ++q) {
          const int cols = static_cast<int>(nc - q * kNR < kNR ? nc - q * kNR : kNR);
          row = i0;
          for (int64_t u = 0; u < block_tiles; ++u) {
            const int rows = tile_rows(m, tile0 + u);
            // x rows read in place arrive cold on the first panel: fetch the next tile's meanwhile.
            if (q == 0 && tiles == nullptr && u + 1 < block_tiles)
              prefetch_rows(reinterpret_cast<const uint8_t*>(x_row(p, row + rows) + k0), p.x_stride, tile_rows(m, tile0 + u + 1), kc * 4);
            const float* xp = tiles != nullptr ? tiles + u * kTileFloats : nullptr;
            run_tile_rows(rows, p, xp, panels + q * kPanelFloats, row, jc + q * kNR, k0, kc, cols, accumulate);
            row += rows;
          }
        }
        i0 = row;
      }
    }
  }
}

}  // namespace seek::kernels::avx2
