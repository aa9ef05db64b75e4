// Prefill matmul (m above the GEMV crossover, see matmul_avx512.cpp) with AVX-512: a packed,
// register-tiled GEMM.
//
// Loop nest per thread (its weight rows [n_begin, n_end)):
//   for each k chunk (sized so one packed panel is ~32 KB, i.e. stays in L1/L2):
//     for each panel of 32 weight rows: pack the panel (transposed, converted), then
//       for each tile of MR x rows: micro-kernel, MR x 32 outputs held in registers.
// In the micro-kernel each register holds one k step of 16 weight rows (lanes = outputs), and
// each x value is broadcast against it: every weight load feeds MR multiply-adds, every x load 2.
// Packing costs one pass over the weights per k chunk and is amortised over all m rows.
//
// Three element kinds share that structure:
//   kF32     f32/f16/bf16 weights widened to f32 panels [k][32]; x read in place; FMA.
//   kBf16Dot bf16 weights as pairs [k/2][32][2]; x rounded to bf16 (RNE) into scratch; VDPBF16PS.
//   kInt8    q8_0/q4_0 weights as unsigned bytes [block][8][32][4] plus f32 scales [block][32];
//            x quantised to q8_0; VPDPBUSD per block, then one f32 scale-and-add per block.
//            The unsigned offset (8 for q4_0 nibbles, 128 for q8_0 ^ 0x80) is removed by starting
//            each block's accumulator at -offset·Σx_block.
#include <cstring>

#include "kernels/cpu/matmul_avx512.h"
#include "kernels/cpu/simd_avx512.h"

namespace seek::kernels::avx512 {
namespace {

constexpr int kNR = static_cast<int>(kGemmPanelRows);
constexpr int64_t kChunkF32 = 256;          // k values per chunk: 256 x 32 x 4 B = 32 KB panel
constexpr int64_t kChunkBf16 = 512;         // 512 x 32 x 2 B = 32 KB
constexpr int64_t kChunkInt8 = 1024;        // 32 blocks: 32 KB of bytes + 4 KB of scales
constexpr int kMRFloat = 8;                 // x rows per micro-kernel tile: 16 accumulators
constexpr int kMRInt8 = 4;                  // 8 f32 + 8 int32 accumulators
constexpr size_t kThreadBytes = 40 * 1024;  // one packed panel, the largest of the three kinds
static_assert(kChunkF32 * kGemmPanelRows * 4 <= kThreadBytes);
static_assert(kChunkBf16 * kGemmPanelRows * 2 <= kThreadBytes);
static_assert(kChunkInt8 * kGemmPanelRows + (kChunkInt8 / 32) * kGemmPanelRows * 4 <= kThreadBytes);

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

// ---- activation layouts in scratch ----

int64_t bf16_row_elems(int64_t k) { return static_cast<int64_t>(round_up(static_cast<size_t>(k), 32)); }

struct Int8Act {
  const int8_t* q;      // [m][k]
  const float* d;       // [m][nb] block scales
  const int32_t* corr;  // [m][nb] -offset · Σq
};

Int8Act int8_act(const uint8_t* act, int64_t m, int64_t k) {
  const int64_t nb = k / 32;
  const size_t q_bytes = round_up(static_cast<size_t>(m * k), 64);
  const size_t d_bytes = round_up(static_cast<size_t>(m * nb) * 4, 64);
  return {reinterpret_cast<const int8_t*>(act), reinterpret_cast<const float*>(act + q_bytes),
          reinterpret_cast<const int32_t*>(act + q_bytes + d_bytes)};
}

// ---- output tile store ----

__mmask16 lane_mask(int count) {
  if (count <= 0) return 0;
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
}

template <int MR>
void store_tile(__m512 acc[MR][2], float* const* y, int ncols, bool accumulate) {
  const __mmask16 m0 = lane_mask(ncols), m1 = lane_mask(ncols - 16);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_maskz_loadu_ps(m0, y[i]));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_maskz_loadu_ps(m1, y[i] + 16));
    }
    _mm512_mask_storeu_ps(y[i], m0, acc[i][0]);
    _mm512_mask_storeu_ps(y[i] + 16, m1, acc[i][1]);
  }
}

// ---- micro-kernels: MR x rows by 32 weight rows ----

// Where the tile's x values live: x[i][t] through row pointers, or (MatmulProblem::x_km) column i of
// a [k, m] matrix, xt[t * ld + i].
struct XRows {
  const float* const* x;
  float at(int i, int64_t t) const { return x[i][t]; }
};
struct XColumns {
  const float* xt;
  int64_t ld;
  float at(int i, int64_t t) const { return xt[t * ld + i]; }
};

template <int MR, typename X>
void kernel_f32(const X& x, const float* panel, int64_t kc, float* const* y, int ncols, bool accumulate) {
  __m512 acc[MR][2];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t t = 0; t < kc; ++t) {
    const __m512 w0 = _mm512_load_ps(panel + t * kNR), w1 = _mm512_load_ps(panel + t * kNR + 16);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512 xb = _mm512_set1_ps(x.at(i, t));
      acc[i][0] = _mm512_fmadd_ps(w0, xb, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(w1, xb, acc[i][1]);
    }
  }
  store_tile<MR>(acc, y, ncols, accumulate);
}

template <int MR>
void kernel_bf16(const uint16_t* const* x, const uint32_t* panel, int64_t kc, float* const* y, int ncols,
                 bool accumulate) {
  __m512 acc[MR][2];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  const int64_t pairs = (kc + 1) / 2;
  for (int64_t t = 0; t < pairs; ++t) {
    const __m512bh w0 = (__m512bh)_mm512_load_si512(panel + t * kNR);
    const __m512bh w1 = (__m512bh)_mm512_load_si512(panel + t * kNR + 16);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512bh xb = (__m512bh)_mm512_set1_epi32(load_i32(x[i] + 2 * t));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], w0, xb);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], w1, xb);
    }
  }
  store_tile<MR>(acc, y, ncols, accumulate);
}

template <int MR>
void kernel_int8(const int8_t* const* xq, const float* const* dx, const int32_t* const* corr,
                 const uint8_t* panel, const float* scales, int64_t blocks, float* const* y, int ncols,
                 bool accumulate) {
  __m512 acc[MR][2];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m512i isum[MR][2];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) isum[i][0] = isum[i][1] = _mm512_set1_epi32(corr[i][b]);
    const uint8_t* wb = panel + b * 8 * 128;
#pragma GCC unroll 16
    for (int g = 0; g < 8; ++g) {
      const __m512i w0 = _mm512_load_si512(wb + g * 128), w1 = _mm512_load_si512(wb + g * 128 + 64);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const __m512i xb = _mm512_set1_epi32(load_i32(xq[i] + b * 32 + g * 4));
        isum[i][0] = _mm512_dpbusd_epi32(isum[i][0], w0, xb);
        isum[i][1] = _mm512_dpbusd_epi32(isum[i][1], w1, xb);
      }
    }
    const __m512 s0 = _mm512_load_ps(scales + b * kNR), s1 = _mm512_load_ps(scales + b * kNR + 16);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512 d = _mm512_set1_ps(dx[i][b]);
      acc[i][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[i][0]), _mm512_mul_ps(s0, d), acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[i][1]), _mm512_mul_ps(s1, d), acc[i][1]);
    }
  }
  store_tile<MR>(acc, y, ncols, accumulate);
}

// ---- panel packing: 32 weight rows [j0, j0 + rows) x k range [k0, k0 + kc) ----

// 16 weight rows' values t..t+count as f32, transposed into panel[(t + c) * 32 + lane_base].
template <DType W>
void pack_f32_half(const MatmulProblem& p, int64_t j0, int nrows, int64_t k0, int64_t kc, float* panel) {
  for (int64_t t = 0; t < kc; t += 16) {
    const int count = kc - t < 16 ? static_cast<int>(kc - t) : 16;
    __m512i v[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r) {
      if (r >= nrows) {
        v[r] = _mm512_setzero_si512();
        continue;
      }
      const uint8_t* row = p.w + (j0 + r) * p.w_stride;
      __m512 f;
      if constexpr (W == DType::kF32) f = load_f32(reinterpret_cast<const float*>(row) + k0 + t, count);
      if constexpr (W == DType::kF16) f = load_f16(reinterpret_cast<const uint16_t*>(row) + k0 + t, count);
      if constexpr (W == DType::kBF16) f = load_bf16(reinterpret_cast<const uint16_t*>(row) + k0 + t, count);
      v[r] = _mm512_castps_si512(f);
    }
    transpose_16x16(v);
    for (int c = 0; c < count; ++c) _mm512_store_si512(panel + (t + c) * kNR, v[c]);
  }
}

// The same panel from weights stored [k, n] (MatmulProblem::w_kn): row k0 + t already holds the
// 16 outputs' weights side by side, so packing is a masked copy, no transpose.
void pack_f32_kn_half(const MatmulProblem& p, int64_t j0, int nrows, int64_t k0, int64_t kc, float* panel) {
  const __mmask16 mask = lane_mask(nrows);
  for (int64_t t = 0; t < kc; ++t) {
    const float* row = reinterpret_cast<const float*>(p.w + (k0 + t) * p.w_stride) + j0;
    _mm512_store_ps(panel + t * kNR, _mm512_maskz_loadu_ps(mask, row));
  }
}

// bf16 pairs: 16 rows x 32 values = 16 x 16 dwords, transposed into panel[(t/2 + c) * 32 + lane_base].
void pack_bf16_half(const MatmulProblem& p, int64_t j0, int nrows, int64_t k0, int64_t kc, uint32_t* panel) {
  for (int64_t t = 0; t < kc; t += 32) {
    const int count = kc - t < 32 ? static_cast<int>(kc - t) : 32;
    const __mmask32 mask = count >= 32 ? 0xFFFFFFFFu : (1u << count) - 1;
    __m512i v[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r) {
      const uint16_t* row = reinterpret_cast<const uint16_t*>(p.w + (j0 + r) * p.w_stride);
      v[r] = r < nrows ? _mm512_maskz_loadu_epi16(mask, row + k0 + t) : _mm512_setzero_si512();
    }
    transpose_16x16(v);
    const int pairs = (count + 1) / 2;
    for (int c = 0; c < pairs; ++c) _mm512_store_si512(panel + (t / 2 + c) * kNR, v[c]);
  }
}

// Blocks b and b+1 of a quantised row as 64 unsigned bytes in value order (zero if absent). q4_0
// takes one 64-byte load when that stays inside the row (`roomy`), then VPERMW places each block's
// 16 quant bytes twice and a per-word shift picks low or high nibbles.
template <DType W>
__m512i unpack_block_pair(const uint8_t* row, int64_t b, bool has_second, bool roomy) {
  if constexpr (W == DType::kQ4_0) {
    const uint8_t* pair = row + b * sizeof(BlockQ4_0);
    __m512i raw;
    if (roomy) {
      raw = _mm512_loadu_si512(pair);
    } else {  // the row's last bytes: copy what exists, so nothing past the row is read
      alignas(64) uint8_t tmp[64] = {};
      std::memcpy(tmp, pair, has_second ? 2 * sizeof(BlockQ4_0) : sizeof(BlockQ4_0));
      raw = _mm512_load_si512(tmp);
    }
    alignas(64) static constexpr int16_t kWords[32] = {1,  2,  3,  4,  5,  6,  7,  8,  1,  2,  3,
                                                       4,  5,  6,  7,  8,  10, 11, 12, 13, 14, 15,
                                                       16, 17, 10, 11, 12, 13, 14, 15, 16, 17};
    alignas(64) static constexpr int16_t kShift[32] = {0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4,
                                                       0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4};
    const __m512i words = _mm512_permutexvar_epi16(_mm512_load_si512(kWords), raw);
    const __m512i v =
        _mm512_and_si512(_mm512_srlv_epi16(words, _mm512_load_si512(kShift)), _mm512_set1_epi8(0x0F));
    return has_second ? v : _mm512_maskz_mov_epi64(0x0F, v);
  } else {
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    const uint8_t* q = row + b * sizeof(BlockQ8_0) + 2;
    const __m256i ya = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)), flip);
    __m256i yb = _mm256_setzero_si256();
    if (has_second) {
      yb =
          _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + sizeof(BlockQ8_0))), flip);
    }
    return _mm512_inserti64x4(_mm512_castsi256_si512(ya), yb, 1);
  }
}

template <DType W>
void pack_int8_half(const MatmulProblem& p, int64_t j0, int nrows, int64_t k0, int64_t kc, uint8_t* panel,
                    float* scales) {
  constexpr int64_t kBlockBytes = W == DType::kQ4_0 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  const int64_t blocks = kc / 32, b0 = k0 / 32;
  const int64_t row_bytes = (p.k / 32) * kBlockBytes;
  for (int64_t b = 0; b < blocks; b += 2) {
    const bool two = b + 1 < blocks;
    const bool roomy = (b0 + b) * kBlockBytes + 64 <= row_bytes;
    __m512i v[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r) {
      const uint8_t* row = p.w + (j0 + r) * p.w_stride;
      // 32 short row streams at once defeat the hardware prefetcher: fetch two pairs ahead by hand.
      _mm_prefetch(reinterpret_cast<const char*>(row + (b0 + b + 4) * kBlockBytes), _MM_HINT_T0);
      v[r] = r < nrows ? unpack_block_pair<W>(row, b0 + b, two, roomy) : _mm512_setzero_si512();
    }
    transpose_16x16(v);
    // v[c] holds dword c of each row: block b + c / 8, 4-byte group c % 8.
    const int groups = two ? 16 : 8;
    for (int c = 0; c < groups; ++c) _mm512_store_si512(panel + ((b + c / 8) * 8 + c % 8) * 128, v[c]);
  }
  // Scales: 2-byte loads into a [block][row] staging table, then 16 conversions at a time. (A gather
  // per block was the most expensive instruction of packing on Zen 5; converting right after the
  // staging stores stalled on store forwarding, so all stores come first.)
  alignas(64) uint16_t staged[kChunkInt8 / 32][16];
  for (int r = 0; r < 16; ++r) {
    const uint8_t* row = p.w + (j0 + r) * p.w_stride + b0 * kBlockBytes;
    for (int64_t b = 0; b < blocks; ++b) {
      uint16_t d = 0;
      if (r < nrows) std::memcpy(&d, row + b * kBlockBytes, 2);
      staged[b][r] = d;
    }
  }
  for (int64_t b = 0; b < blocks; ++b) {
    _mm512_store_ps(scales + b * kNR,
                    _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(staged[b]))));
  }
}

// ---- drivers ----

template <int MR>
void run_tile(GemmKind kind, const MatmulProblem& p, const uint8_t* act, const uint8_t* panel, int64_t i0,
              int64_t j0, int64_t k0, int64_t kc, int ncols) {
  float* y[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) y[i] = y_row(p, i0 + i) + j0;
  const bool accumulate = k0 > 0 || p.accumulate;
  if (kind == GemmKind::kF32 && p.x_km) {
    const int64_t ld = p.x_stride / static_cast<int64_t>(sizeof(float));
    kernel_f32<MR>(XColumns{p.x + k0 * ld + i0, ld}, reinterpret_cast<const float*>(panel), kc, y, ncols, accumulate);
  } else if (kind == GemmKind::kF32) {
    const float* x[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) x[i] = x_row(p, i0 + i) + k0;
    kernel_f32<MR>(XRows{x}, reinterpret_cast<const float*>(panel), kc, y, ncols, accumulate);
  } else if (kind == GemmKind::kBf16Dot) {
    const uint16_t* x[MR];
    const int64_t stride = bf16_row_elems(p.k);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) x[i] = reinterpret_cast<const uint16_t*>(act) + (i0 + i) * stride + k0;
    kernel_bf16<MR>(x, reinterpret_cast<const uint32_t*>(panel), kc, y, ncols, accumulate);
  } else {
    const Int8Act a = int8_act(act, p.m, p.k);
    const int64_t nb = p.k / 32, blocks = kc / 32;
    const int8_t* xq[MR];
    const float* dx[MR];
    const int32_t* corr[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      xq[i] = a.q + (i0 + i) * p.k + k0;
      dx[i] = a.d + (i0 + i) * nb + k0 / 32;
      corr[i] = a.corr + (i0 + i) * nb + k0 / 32;
    }
    kernel_int8<MR>(xq, dx, corr, panel, reinterpret_cast<const float*>(panel + blocks * 8 * 128), blocks, y,
                    ncols, accumulate);
  }
}

// Covers the m rows of x with ceil(m / MR) tiles of nearly equal height (m = 9 -> 5 + 4, not 8 + 1):
// a one-row tile would be bound by FMA latency with only two accumulator chains.
template <int MR>
void run_rows(GemmKind kind, const MatmulProblem& p, const uint8_t* act, const uint8_t* panel, int64_t j0,
              int64_t k0, int64_t kc, int ncols) {
  const int64_t tiles = (p.m + MR - 1) / MR;
  const int64_t base = p.m / tiles, extra = p.m % tiles;
  int64_t i0 = 0;
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t rows = base + (t < extra ? 1 : 0);
    switch (rows) {
      case 1: run_tile<1>(kind, p, act, panel, i0, j0, k0, kc, ncols); break;
      case 2: run_tile<2>(kind, p, act, panel, i0, j0, k0, kc, ncols); break;
      case 3: run_tile<3>(kind, p, act, panel, i0, j0, k0, kc, ncols); break;
      case 4: run_tile<4>(kind, p, act, panel, i0, j0, k0, kc, ncols); break;
      case 5: run_tile<5>(kind, p, act, panel, i0, j0, k0, kc, ncols); break;
      case 6: run_tile<6>(kind, p, act, panel, i0, j0, k0, kc, ncols); break;
      case 7: run_tile<7>(kind, p, act, panel, i0, j0, k0, kc, ncols); break;
      default: run_tile<MR>(kind, p, act, panel, i0, j0, k0, kc, ncols); break;
    }
    i0 += rows;
  }
}

void pack_panel(GemmKind kind, const MatmulProblem& p, int64_t j0, int rows, int64_t k0, int64_t kc,
                uint8_t* panel) {
  for (int h = 0; h < 2; ++h) {
    const int nrows = rows - 16 * h;
    const int64_t jh = j0 + 16 * h;
    if (kind == GemmKind::kF32) {
      float* dst = reinterpret_cast<float*>(panel) + 16 * h;
      if (p.w_kn) {
        pack_f32_kn_half(p, jh, nrows, k0, kc, dst);
        continue;
      }
      if (p.wtype == DType::kF32) pack_f32_half<DType::kF32>(p, jh, nrows, k0, kc, dst);
      if (p.wtype == DType::kF16) pack_f32_half<DType::kF16>(p, jh, nrows, k0, kc, dst);
      if (p.wtype == DType::kBF16) pack_f32_half<DType::kBF16>(p, jh, nrows, k0, kc, dst);
    } else if (kind == GemmKind::kBf16Dot) {
      pack_bf16_half(p, jh, nrows, k0, kc, reinterpret_cast<uint32_t*>(panel) + 16 * h);
    } else {
      float* scales = reinterpret_cast<float*>(panel + (kc / 32) * 8 * 128) + 16 * h;
      if (p.wtype == DType::kQ4_0) pack_int8_half<DType::kQ4_0>(p, jh, nrows, k0, kc, panel + 64 * h, scales);
      if (p.wtype == DType::kQ8_0) pack_int8_half<DType::kQ8_0>(p, jh, nrows, k0, kc, panel + 64 * h, scales);
    }
  }
}

}  // namespace

GemmKind gemm_kind(DType wtype, bool bf16_dot) {
  if (wtype == DType::kQ8_0 || wtype == DType::kQ4_0) return GemmKind::kInt8;
  if (wtype == DType::kBF16 && bf16_dot) return GemmKind::kBf16Dot;
  return GemmKind::kF32;
}

size_t gemm_act_bytes(GemmKind kind, int64_t m, int64_t k) {
  switch (kind) {
    case GemmKind::kF32: return 0;
    case GemmKind::kBf16Dot: return static_cast<size_t>(m * bf16_row_elems(k)) * 2;
    case GemmKind::kInt8:
      return round_up(static_cast<size_t>(m * k), 64) +
             2 * round_up(static_cast<size_t>(m * (k / 32)) * 4, 64);
  }
  return 0;
}

size_t gemm_thread_bytes() { return kThreadBytes; }

void gemm_prepare(GemmKind kind, const MatmulProblem& p, int64_t row_begin, int64_t row_end, uint8_t* act) {
  if (kind == GemmKind::kBf16Dot) {
    const int64_t stride = bf16_row_elems(p.k);
    for (int64_t i = row_begin; i < row_end; ++i) {
      const float* x = x_row(p, i);
      uint16_t* dst = reinterpret_cast<uint16_t*>(act) + i * stride;
      for (int64_t t = 0; t < stride; t += 32) {
        const int64_t left = p.k - t;
        const __mmask16 m0 = lane_mask(static_cast<int>(left < 0 ? 0 : (left > 16 ? 16 : left)));
        const __mmask16 m1 =
            lane_mask(static_cast<int>(left - 16 < 0 ? 0 : (left - 16 > 16 ? 16 : left - 16)));
        const __m512 a = _mm512_maskz_loadu_ps(m0, x + t), b = _mm512_maskz_loadu_ps(m1, x + t + 16);
        _mm512_storeu_si512(dst + t, (__m512i)_mm512_cvtne2ps_pbh(b, a));
      }
    }
  } else if (kind == GemmKind::kInt8) {
    const int64_t nb = p.k / 32;
    Int8Act a = int8_act(act, p.m, p.k);
    const int shift = p.wtype == DType::kQ4_0 ? 3 : 7;  // offsets 8 and 128
    for (int64_t i = row_begin; i < row_end; ++i) {
      const float* x = x_row(p, i);
      int8_t* q = const_cast<int8_t*>(a.q) + i * p.k;
      float* d = const_cast<float*>(a.d) + i * nb;
      int32_t* corr = const_cast<int32_t*>(a.corr) + i * nb;
      for (int64_t b = 0; b < nb; ++b) {
        const QuantBlock qb = quantize_block(x + b * 32);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * 32), qb.lo);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * 32 + 16), qb.hi);
        d[b] = qb.d;
        const int32_t sum = _mm512_reduce_add_epi32(
            _mm512_add_epi32(_mm512_cvtepi8_epi32(qb.lo), _mm512_cvtepi8_epi32(qb.hi)));
        corr[b] = -(sum << shift);
      }
    }
  }
}

void gemm(GemmKind kind, const MatmulProblem& p, const uint8_t* act, int64_t n_begin, int64_t n_end,
          uint8_t* thread_scratch) {
  const int64_t chunk =
      kind == GemmKind::kF32 ? kChunkF32 : (kind == GemmKind::kBf16Dot ? kChunkBf16 : kChunkInt8);
  for (int64_t k0 = 0; k0 < p.k; k0 += chunk) {
    const int64_t kc = p.k - k0 < chunk ? p.k - k0 : chunk;
    for (int64_t j0 = n_begin; j0 < n_end; j0 += kNR) {
      const int rows = static_cast<int>(n_end - j0 < kNR ? n_end - j0 : kNR);
      pack_panel(kind, p, j0, rows, k0, kc, thread_scratch);
      if (kind == GemmKind::kInt8) {
        run_rows<kMRInt8>(kind, p, act, thread_scratch, j0, k0, kc, rows);
      } else {
        run_rows<kMRFloat>(kind, p, act, thread_scratch, j0, k0, kc, rows);
      }
    }
  }
}

}  // namespace seek::kernels::avx512
