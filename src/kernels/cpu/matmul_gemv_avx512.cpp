// Decode matmul (small m, up to kGemvMaxRows) with AVX-512: a GEMV that streams each weight row once
// and applies it to every x row while it is in registers. Decode is memory bound, so the kernels aim to
// keep the load stream dense and sequential (adjacent rows, no packing) rather than to save
// arithmetic: f16/bf16 are widened exactly to f32 on the fly, which keeps f32 activations exact.
//
// Quantised weights (q8_0/q4_0) follow ggml: x is quantised to q8_0 once per call, then VPDPBUSD
// computes the integer dot products, two blocks per 512-bit register. VPDPBUSD multiplies unsigned
// by signed bytes, so the weight side is made unsigned (q4_0: the raw nibble 0..15; q8_0: q ^ 0x80,
// i.e. q + 128) and the offset is removed by starting each accumulator at -offset·Σx, precomputed
// per 4-byte lane when x is quantised. The integers are exact; only the f32 scaling differs in
// order from the reference.
//
// From kGemvQuantMultiMinRows x rows on (several sequences decoding together), applying each weight
// register to every x row in turn costs more than it saves: each x row then needs its own scale
// multiply, conversion and FMA per pair of blocks. The multi-row kernel instead transposes 4 weight
// rows x 4 dwords inside each 128-bit lane, so one VPDPBUSD serves 4 weight rows at once (lanes =
// weight row x k group) and the per-block scaling is shared by 4 outputs; x is prepared once per call
// in the matching order (each dword broadcast within its 128-bit lane). It walks k in chunks whose
// prepared x stays in L1 while all of the thread's weight rows stream past.
#include "kernels/cpu/matmul_avx512.h"
#include "kernels/cpu/simd_avx512.h"

namespace seek::kernels::avx512 {
namespace {

// ---------------------------------------------------------------------------------------------------
// Float weights.

template <DType W>
__m512 load_weights(const uint8_t* row, int64_t t, int count) {
  if constexpr (W == DType::kF32) return load_f32(reinterpret_cast<const float*>(row) + t, count);
  if constexpr (W == DType::kF16) return load_f16(reinterpret_cast<const uint16_t*>(row) + t, count);
  if constexpr (W == DType::kBF16) return load_bf16(reinterpret_cast<const uint16_t*>(row) + t, count);
  return _mm512_setzero_ps();
}

// m = 1: one weight row at a time, eight accumulators along k. A single sequential stream per
// thread: on Zen 5, reading 4 rows side by side in 64-byte steps halved DRAM bandwidth.
template <DType W>
void gemv_float_single(const MatmulProblem& p, int64_t n_begin, int64_t n_end) {
  constexpr int kU = 8;
  const float* x = x_row(p, 0);
  float* y = y_row(p, 0);
  for (int64_t j = n_begin; j < n_end; ++j) {
    const uint8_t* w = p.w + j * p.w_stride;
    __m512 acc[kU];
#pragma GCC unroll 16
    for (int u = 0; u < kU; ++u) acc[u] = _mm512_setzero_ps();
    int64_t t = 0;
    for (; t + 16 * kU <= p.k; t += 16 * kU) {
#pragma GCC unroll 16
      for (int u = 0; u < kU; ++u) {
        acc[u] = _mm512_fmadd_ps(load_weights<W>(w, t + 16 * u, 16), _mm512_loadu_ps(x + t + 16 * u), acc[u]);
      }
    }
    for (; t < p.k; t += 16) {
      const int count = p.k - t < 16 ? static_cast<int>(p.k - t) : 16;
      acc[0] = _mm512_fmadd_ps(load_weights<W>(w, t, count), load_f32(x + t, count), acc[0]);
    }
    __m512 sum = acc[0];
#pragma GCC unroll 16
    for (int u = 1; u < kU; ++u) sum = _mm512_add_ps(sum, acc[u]);
    y[j] = _mm512_reduce_add_ps(sum);
  }
}

// m = 2..8: NR weight rows against MR x rows, visiting each row kChunk values (256 bytes of f32) at a
// time. Side-by-side rows in 256-byte steps kept full DRAM bandwidth where 64-byte steps lost half,
// and NR rows share each x load, which matters once m rows of x no longer fit in L1.
template <DType W, int MR>
void gemv_float_rows(const MatmulProblem& p, int64_t n_begin, int64_t n_end) {
  constexpr int kNR = MR <= 4 ? 4 : 2;
  constexpr int64_t kChunk = 64;
  const float* x[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) x[i] = x_row(p, i);
  int64_t j = n_begin;
  for (; j < n_end; j += kNR) {
    const int nr = n_end - j < kNR ? static_cast<int>(n_end - j) : kNR;
    const uint8_t* w[kNR];
#pragma GCC unroll 16
    for (int r = 0; r < kNR; ++r) w[r] = p.w + (j + (r < nr ? r : 0)) * p.w_stride;
    __m512 acc[MR][kNR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 16
      for (int r = 0; r < kNR; ++r) acc[i][r] = _mm512_setzero_ps();
    int64_t t = 0;
    for (; t + kChunk <= p.k; t += kChunk) {
#pragma GCC unroll 16
      for (int r = 0; r < kNR; ++r) {
#pragma GCC unroll 16
        for (int64_t u = 0; u < kChunk; u += 16) {
          const __m512 wv = load_weights<W>(w[r], t + u, 16);
#pragma GCC unroll 16
          for (int i = 0; i < MR; ++i)
            acc[i][r] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x[i] + t + u), acc[i][r]);
        }
      }
    }
    for (; t < p.k; t += 16) {
      const int count = p.k - t < 16 ? static_cast<int>(p.k - t) : 16;
#pragma GCC unroll 16
      for (int r = 0; r < kNR; ++r) {
        const __m512 wv = load_weights<W>(w[r], t, count);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) acc[i][r] = _mm512_fmadd_ps(wv, load_f32(x[i] + t, count), acc[i][r]);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      float* y = y_row(p, i);
      for (int r = 0; r < nr; ++r) y[j + r] = _mm512_reduce_add_ps(acc[i][r]);
    }
  }
}

template <DType W>
void gemv_float_typed(const MatmulProblem& p, int64_t n_begin, int64_t n_end) {
  switch (p.m) {
    case 1: return gemv_float_single<W>(p, n_begin, n_end);
    case 2: return gemv_float_rows<W, 2>(p, n_begin, n_end);
    case 3: return gemv_float_rows<W, 3>(p, n_begin, n_end);
    case 4: return gemv_float_rows<W, 4>(p, n_begin, n_end);
    case 5: return gemv_float_rows<W, 5>(p, n_begin, n_end);
    case 6: return gemv_float_rows<W, 6>(p, n_begin, n_end);
    case 7: return gemv_float_rows<W, 7>(p, n_begin, n_end);
    default: return gemv_float_rows<W, 8>(p, n_begin, n_end);
  }
}

// ---------------------------------------------------------------------------------------------------
// Quantised weights. Work goes in pairs of blocks (64 values = one register). The activations of a
// pair take 192 bytes:
//   [  0, 64)  q8 values in the weight lanes' order (below)
//   [ 64,128)  16 x int32: -offset · (sum of the 4 values in that lane), the accumulator's start
//   [128,192)  16 x f32: the activation block scale of each lane
// Lane order, per 128-bit quarter: q4_0 [b: 0-15 | b+1: 0-15 | b: 16-31 | b+1: 16-31] (the weight
// register is the pair's 32 nibble bytes, low nibbles then high), q8_0 [b: 0-31 | b+1: 0-31].
// An odd last block pairs with a zero block.

constexpr int64_t kPairActBytes = 192;

int64_t num_pairs(int64_t k) { return (k / 32 + 1) / 2; }

template <DType W>
void prepare_row(const float* x, int64_t k, uint8_t* act) {
  const int64_t nb = k / 32;
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t b = 0; b < nb; b += 2) {
    const QuantBlock q0 = quantize_block(x + b * 32);
    QuantBlock q1{_mm_setzero_si128(), _mm_setzero_si128(), 0.0f};
    if (b + 1 < nb) q1 = quantize_block(x + (b + 1) * 32);
    uint8_t* a = act + (b / 2) * kPairActBytes;
    __m512i xv = _mm512_castsi128_si512(q0.lo);
    __m512 dx;
    int shift;
    if constexpr (W == DType::kQ4_0) {
      xv = _mm512_inserti32x4(xv, q1.lo, 1);
      xv = _mm512_inserti32x4(xv, q0.hi, 2);
      xv = _mm512_inserti32x4(xv, q1.hi, 3);
      dx = _mm512_mask_blend_ps(0xF0F0, _mm512_set1_ps(q0.d), _mm512_set1_ps(q1.d));
      shift = 3;  // offset 8
    } else {
      xv = _mm512_inserti32x4(xv, q0.hi, 1);
      xv = _mm512_inserti32x4(xv, q1.lo, 2);
      xv = _mm512_inserti32x4(xv, q1.hi, 3);
      dx = _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(q0.d), _mm512_set1_ps(q1.d));
      shift = 7;  // offset 128
    }
    const __m512i lane_sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, xv);
    const __m512i corr = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(lane_sums, shift));
    _mm512_storeu_si512(a, xv);
    _mm512_storeu_si512(a + 64, corr);
    _mm512_storeu_ps(a + 128, dx);
  }
}

// The weights of the pair of blocks starting at block b: the unsigned weight register (lane order
// above) and the per-lane f32 block scales, both from the pair's contiguous bytes (q4_0: 36, q8_0:
// 68) rearranged by 16-bit permutes: all block fields sit at even offsets, so VPERMW (AVX-512BW)
// can gather them.
struct PairPerm {
  __m512i values;  // word permutation placing the quant bytes
  __m512i scales;  // word permutation placing each lane's f16 scale in the low 16 words
  __m512i shift;   // q4_0: per-word right shift (0 for low nibbles, 4 for high nibbles)
};

template <DType W>
PairPerm pair_perm() {
  PairPerm pp;
  if constexpr (W == DType::kQ4_0) {
    // Block b's 16 quant bytes are words 1..8 of the pair, block b+1's words 10..17.
    alignas(64) int16_t v[32], sc[32], sh[32];
#pragma GCC unroll 16
    for (int i = 0; i < 8; ++i) {
      v[i] = static_cast<int16_t>(1 + i);
      v[8 + i] = static_cast<int16_t>(10 + i);
      v[16 + i] = static_cast<int16_t>(1 + i);
      v[24 + i] = static_cast<int16_t>(10 + i);
    }
    for (int i = 0; i < 32; ++i) {
      sc[i] = static_cast<int16_t>((i / 4) % 2 == 0 ? 0 : 9);
      sh[i] = static_cast<int16_t>(i < 16 ? 0 : 4);
    }
    pp.values = _mm512_load_si512(v);
    pp.scales = _mm512_load_si512(sc);
    pp.shift = _mm512_load_si512(sh);
  } else {
    // Block b's 32 quant bytes are words 1..16; block b+1's are words 18..33 (32, 33 in the second load).
    alignas(64) int16_t v[32], sc[32];
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) {
      v[i] = static_cast<int16_t>(1 + i);
      v[16 + i] = static_cast<int16_t>(18 + i);
    }
    for (int i = 0; i < 32; ++i) sc[i] = static_cast<int16_t>(i < 8 ? 0 : 17);
    pp.values = _mm512_load_si512(v);
    pp.scales = _mm512_load_si512(sc);
    pp.shift = _mm512_setzero_si512();
  }
  return pp;
}

template <DType W>
struct RawPair {
  __m512i lo;                           // the pair's first 64 bytes (fewer at the row's end, rest zero)
  __m512i hi = _mm512_setzero_si512();  // q8_0: bytes 64..67 in the low dword
};

// The pair's bytes with no load past its end. Partial masked loads are avoided: on Zen 5 a 36-of-64
// byte masked load that crosses a cache line ran 5x slower than the whole GEMV. `roomy` says 64
// bytes from the pair's start are still inside the row, so one plain load is safe.
template <DType W>
RawPair<W> load_raw_pair(const uint8_t* pair, bool has_second, bool roomy) {
  RawPair<W> raw;
  if constexpr (W == DType::kQ4_0) {
    if (roomy) {
      raw.lo = _mm512_loadu_si512(pair);
    } else if (has_second) {  // 36 bytes: 32 + 4
      raw.lo = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(pair)));
      raw.lo = _mm512_inserti32x4(raw.lo, _mm_cvtsi32_si128(load_i32(pair + 32)), 2);
    } else {  // 18 bytes: 16 + 2
      uint16_t tail;
      std::memcpy(&tail, pair + 16, 2);
      raw.lo = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(pair)));
      raw.lo = _mm512_inserti32x4(raw.lo, _mm_cvtsi32_si128(tail), 1);
    }
  } else {
    if (has_second) {  // 68 bytes: 64 + 4
      raw.lo = _mm512_loadu_si512(pair);
      raw.hi = _mm512_castsi128_si512(_mm_cvtsi32_si128(load_i32(pair + 64)));
    } else {  // 34 bytes: 32 + 2
      uint16_t tail;
      std::memcpy(&tail, pair + 32, 2);
      raw.lo = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(pair)));
      raw.lo = _mm512_inserti32x4(raw.lo, _mm_cvtsi32_si128(tail), 2);
    }
  }
  return raw;
}

// The unsigned weight register of a pair (lane order above).
template <DType W>
__m512i pair_values(const RawPair<W>& raw, const PairPerm& pp) {
  if constexpr (W == DType::kQ4_0) {
    const __m512i words = _mm512_permutexvar_epi16(pp.values, raw.lo);
    return _mm512_and_si512(_mm512_srlv_epi16(words, pp.shift), _mm512_set1_epi8(0x0F));
  } else {
    const __m512i words = _mm512_permutex2var_epi16(raw.lo, pp.values, raw.hi);
    return _mm512_xor_si512(words, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
}

template <DType W>
void load_weight_pair(const uint8_t* pair, bool has_second, bool roomy, const PairPerm& pp, __m512i* wv,
                      __m512* dw) {
  const RawPair<W> raw = load_raw_pair<W>(pair, has_second, roomy);
  *wv = pair_values<W>(raw, pp);
  *dw = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(pp.scales, raw.lo)));
}

template <DType W, int MR>
void gemv_quant_rows(const MatmulProblem& p, const uint8_t* act, int64_t n_begin, int64_t n_end) {
  constexpr int64_t kPairBytes = W == DType::kQ4_0 ? 2 * sizeof(BlockQ4_0) : 2 * sizeof(BlockQ8_0);
  const int64_t nb = p.k / 32, pairs = num_pairs(p.k);
  const int64_t row_act = pairs * kPairActBytes;
  const PairPerm pp = pair_perm<W>();
  // Pairs [0, roomy_pairs) can be read with one 64-byte load without leaving the row.
  const int64_t row_bytes = nb * (kPairBytes / 2);
  const int64_t roomy_pairs = row_bytes >= 64 ? (row_bytes - 64) / kPairBytes + 1 : 0;
  for (int64_t j = n_begin; j < n_end; ++j) {
    const uint8_t* row = p.w + j * p.w_stride;
    // One accumulator per x row. Two (even/odd pairs) measured 25% slower on Zen 5 for q4_0, although
    // one FMA chain allows only one pair per FMA latency; the cause was not found.
    __m512 acc[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) acc[i] = _mm512_setzero_ps();
    for (int64_t q = 0; q < pairs; ++q) {
      __m512i wv;
      __m512 dw;
      load_weight_pair<W>(row + q * kPairBytes, 2 * q + 1 < nb, q < roomy_pairs, pp, &wv, &dw);
      const uint8_t* a = act + q * kPairActBytes;
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const uint8_t* ai = a + i * row_act;
        const __m512i isum = _mm512_dpbusd_epi32(_mm512_loadu_si512(ai + 64), wv, _mm512_loadu_si512(ai));
        const __m512 scale = _mm512_mul_ps(dw, _mm512_loadu_ps(reinterpret_cast<const float*>(ai + 128)));
        acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), scale, acc[i]);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) y_row(p, i)[j] = _mm512_reduce_add_ps(acc[i]);
  }
}

// ---------------------------------------------------------------------------------------------------
// Quantised weights, several x rows (m >= kGemvQuantMultiMinRows). Prepared x per pair of blocks and
// x row (kMultiPairActBytes = 384; pair-major: the m rows of a pair are adjacent), from the
// single-row layout above (x values v, lane correction c, scale d, 16 dwords each in the weight
// lanes' order l = 4L + t, L the 128-bit lane):
//   [  0,256)  X_t for t = 0..3: dword (L, r) = v[4L + t] (VPSHUFD broadcast within the lane)
//   [256,320)  16 x int32: dword (L, r) = c[4L] + c[4L+1] + c[4L+2] + c[4L+3]
//   [320,384)  16 x f32: d (each 128-bit lane holds one block in both lane orders: d[4L] = d[4L + r])
// Weight rows j..j+3 give T_t with dword (L, r) = row r's weight dword 4L + t, so
// Σ_t VPDPBUSD(T_t, X_t) leaves in dword (L, r) row r's integer dot product over the pair's lane L;
// the four 128-bit lanes are summed once per k chunk.

constexpr int64_t kMultiPairActBytes = 384;
constexpr int64_t kMultiChunkActBytes = 24 * 1024;  // prepared x per k chunk: half of a 48 KB L1
// Software prefetch distance in weight rows: 4 rows side by side in 68-byte steps are no stream the
// hardware prefetcher follows; 8-16 rows ahead measured best (q8_0 m = 8 cold: 4 rows 245 us, 12
// rows 205 us for n = k = 2048 on one Zen 5 core).
constexpr int64_t kMultiAheadRows = 12;

// Row i's prepared pairs, `stride` bytes apart (m * kMultiPairActBytes).
template <DType W>
void prepare_row_multi(const float* x, int64_t k, uint8_t* act, int64_t stride) {
  alignas(64) uint8_t pair[kPairActBytes];
  for (int64_t q = 0; q < num_pairs(k); ++q) {
    // One pair at a time through the single-row preparation (a 64-value slice of x).
    const int64_t left = k - 64 * q;
    prepare_row<W>(x + 64 * q, left < 64 ? left : 64, pair);
    const __m512i v = _mm512_load_si512(pair);
    const __m512i c = _mm512_load_si512(pair + 64);
    uint8_t* a = act + q * stride;
    _mm512_storeu_si512(a, _mm512_shuffle_epi32(v, _MM_PERM_AAAA));
    _mm512_storeu_si512(a + 64, _mm512_shuffle_epi32(v, _MM_PERM_BBBB));
    _mm512_storeu_si512(a + 128, _mm512_shuffle_epi32(v, _MM_PERM_CCCC));
    _mm512_storeu_si512(a + 192, _mm512_shuffle_epi32(v, _MM_PERM_DDDD));
    const __m512i c2 = _mm512_add_epi32(c, _mm512_shuffle_epi32(c, _MM_PERM_CDAB));
    _mm512_storeu_si512(a + 256, _mm512_add_epi32(c2, _mm512_shuffle_epi32(c2, _MM_PERM_BADC)));
    _mm512_storeu_si512(a + 320, _mm512_load_si512(pair + 128));
  }
}

// y[j .. j + nr) (+)= the 4 row sums of acc (dword (L, r) summed over L).
inline void store_row_sums(__m512 acc, float* y, int nr, bool accumulate) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  const __mmask8 mask = static_cast<__mmask8>((1u << nr) - 1);
  if (accumulate) s = _mm_add_ps(s, _mm_maskz_loadu_ps(mask, y));
  _mm_mask_storeu_ps(y, mask, s);
}

template <DType W, int MR>
void gemv_quant_multi(const MatmulProblem& p, const uint8_t* act, int64_t n_begin, int64_t n_end) {
  constexpr int64_t kPairBytes = W == DType::kQ4_0 ? 2 * sizeof(BlockQ4_0) : 2 * sizeof(BlockQ8_0);
  constexpr int64_t kPairStride = MR * kMultiPairActBytes;
  constexpr int64_t kChunkPairs = kMultiChunkActBytes / kPairStride;
  const int64_t nb = p.k / 32, pairs = num_pairs(p.k);
  const PairPerm pp = pair_perm<W>();
  const int64_t row_bytes = nb * (kPairBytes / 2);
  const int64_t roomy_pairs = row_bytes >= 64 ? (row_bytes - 64) / kPairBytes + 1 : 0;
  // Pairs before `plain` have a second block and can be loaded whole, in every row.
  const int64_t plain = roomy_pairs < nb / 2 ? roomy_pairs : nb / 2;
  for (int64_t q0 = 0; q0 < pairs; q0 += kChunkPairs) {
    const int64_t q1 = q0 + kChunkPairs < pairs ? q0 + kChunkPairs : pairs;
    for (int64_t j = n_begin; j < n_end; j += 4) {
      // Rows past n_end repeat the last one (their sums are not stored).
      const int nr = n_end - j < 4 ? static_cast<int>(n_end - j) : 4;
      int64_t off[4];
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) off[r] = (r < nr ? r : nr - 1) * p.w_stride;
      const uint8_t* w = p.w + j * p.w_stride + q0 * kPairBytes;
      const uint8_t* ahead = w + kMultiAheadRows * p.w_stride;  // rows fetched by hand
      const uint8_t* a = act + q0 * kPairStride;
      __m512 acc[MR];
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) acc[i] = _mm512_setzero_ps();
      for (int64_t q = q0; q < q1; ++q, w += kPairBytes, ahead += kPairBytes, a += kPairStride) {
        const bool whole = q < plain;
        __m512i wv[4];
        __m256i d16 = _mm256_setzero_si256();
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) {
          _mm_prefetch(reinterpret_cast<const char*>(ahead + off[r]), _MM_HINT_T0);
          _mm_prefetch(reinterpret_cast<const char*>(ahead + off[r] + 64), _MM_HINT_T0);
          const RawPair<W> raw = whole ? load_raw_pair<W>(w + off[r], true, true)
                                       : load_raw_pair<W>(w + off[r], 2 * q + 1 < nb, q < roomy_pairs);
          wv[r] = pair_values<W>(raw, pp);
          // Word 4L + r <- row r's scale of the block in lane L.
          d16 = _mm512_castsi512_si256(_mm512_mask_permutexvar_epi16(
              _mm512_castsi256_si512(d16), static_cast<__mmask32>(0x1111u << r), pp.scales, raw.lo));
        }
        // 4x4 dword transpose inside each 128-bit lane: wt[t] dword (L, r) = row r's dword 4L + t.
        const __m512i t0 = _mm512_unpacklo_epi32(wv[0], wv[1]), t1 = _mm512_unpackhi_epi32(wv[0], wv[1]);
        const __m512i t2 = _mm512_unpacklo_epi32(wv[2], wv[3]), t3 = _mm512_unpackhi_epi32(wv[2], wv[3]);
        const __m512i wt[4] = {_mm512_unpacklo_epi64(t0, t2), _mm512_unpackhi_epi64(t0, t2),
                               _mm512_unpacklo_epi64(t1, t3), _mm512_unpackhi_epi64(t1, t3)};
        const __m512 dw = _mm512_cvtph_ps(d16);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
          const uint8_t* ai = a + i * kMultiPairActBytes;
          __m512i isum = _mm512_loadu_si512(ai + 256);
#pragma GCC unroll 4
          for (int t = 0; t < 4; ++t) isum = _mm512_dpbusd_epi32(isum, wt[t], _mm512_loadu_si512(ai + 64 * t));
          const __m512 scale = _mm512_mul_ps(dw, _mm512_loadu_ps(reinterpret_cast<const float*>(ai + 320)));
          acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), scale, acc[i]);
        }
      }
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) store_row_sums(acc[i], y_row(p, i) + j, nr, q0 > 0);
    }
  }
}

template <DType W>
void gemv_quant_typed(const MatmulProblem& p, const uint8_t* act, int64_t n_begin, int64_t n_end) {
  switch (p.m) {
    case 1: return gemv_quant_rows<W, 1>(p, act, n_begin, n_end);
    case 2: return gemv_quant_rows<W, 2>(p, act, n_begin, n_end);
    case 3: return gemv_quant_rows<W, 3>(p, act, n_begin, n_end);
    case 4: return gemv_quant_rows<W, 4>(p, act, n_begin, n_end);
    case 5: return gemv_quant_multi<W, 5>(p, act, n_begin, n_end);
    case 6: return gemv_quant_multi<W, 6>(p, act, n_begin, n_end);
    case 7: return gemv_quant_multi<W, 7>(p, act, n_begin, n_end);
    default: return gemv_quant_multi<W, 8>(p, act, n_begin, n_end);
  }
}

}  // namespace

void gemv_float(const MatmulProblem& p, int64_t n_begin, int64_t n_end) {
  if (p.wtype == DType::kF32) gemv_float_typed<DType::kF32>(p, n_begin, n_end);
  if (p.wtype == DType::kF16) gemv_float_typed<DType::kF16>(p, n_begin, n_end);
  if (p.wtype == DType::kBF16) gemv_float_typed<DType::kBF16>(p, n_begin, n_end);
}

size_t gemv_quant_act_bytes(int64_t m, int64_t k) {
  const int64_t pair_bytes = m >= kGemvQuantMultiMinRows ? kMultiPairActBytes : kPairActBytes;
  return static_cast<size_t>(m * num_pairs(k) * pair_bytes);
}

void gemv_quant_prepare(const MatmulProblem& p, int64_t row_begin, int64_t row_end, uint8_t* act) {
  const bool multi = p.m >= kGemvQuantMultiMinRows;
  const int64_t row_act = num_pairs(p.k) * kPairActBytes;
  for (int64_t i = row_begin; i < row_end; ++i) {
    if (multi) {
      // Pair-major: row i's pairs sit m * kMultiPairActBytes apart, starting at its slot in pair 0.
      uint8_t* a = act + i * kMultiPairActBytes;
      if (p.wtype == DType::kQ4_0) prepare_row_multi<DType::kQ4_0>(x_row(p, i), p.k, a, p.m * kMultiPairActBytes);
      if (p.wtype == DType::kQ8_0) prepare_row_multi<DType::kQ8_0>(x_row(p, i), p.k, a, p.m * kMultiPairActBytes);
    } else if (p.wtype == DType::kQ4_0) {
      prepare_row<DType::kQ4_0>(x_row(p, i), p.k, act + i * row_act);
    } else {
      prepare_row<DType::kQ8_0>(x_row(p, i), p.k, act + i * row_act);
    }
  }
}

void gemv_quant(const MatmulProblem& p, const uint8_t* act, int64_t n_begin, int64_t n_end) {
  if (p.wtype == DType::kQ4_0) {
    gemv_quant_typed<DType::kQ4_0>(p, act, n_begin, n_end);
  } else {
    gemv_quant_typed<DType::kQ8_0>(p, act, n_begin, n_end);
  }
}

}  // namespace seek::kernels::avx512
