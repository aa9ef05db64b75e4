// The flash attention block step with AVX2: the same three passes as attention_avx512.cpp (scores,
// online softmax, values) with 8-lane registers and smaller tiles to fit 16 registers: scores in
// tiles of 4 rows by 3 keys, values in tiles of 4 rows by 16 values. The last 1-3 rows of a block
// (GQA groups of 5-7 heads, MHA's one row a head at decode) take tiles of R rows by 8 / R keys and
// 8 / R vectors, eight independent sums like the whole tiles, where a 4-row tile had computed unused
// rows and a 1-2-row values tile waited on FMA latency. Decode, one thread, keys in L2 (T = 512,
// dk = dv = 128, min of 100 x 10 calls, two alternating rounds): 12 heads on 2 kv heads (R1-Distill-
// Qwen-1.5B) 65.0-65.2 us against 77.0-77.4; 10 on 2 (groups of 5) 57.1-57.4 against 74.1-74.3; 4 on 4
// (MHA) 42.5-44.6 against 76.6-89.4; the same sums, bitwise the same outputs. Whole score tiles of
// three keys (12 sums, two reduce8s) against two: MLA decode (16 heads, dk 576, dv 512) 233.5-236.8
// us against 263.3-278.4, 12 on 2 kv heads 59.7-61.8 against 65.0 (best of three rounds each).
// Tails of dk and dv that do not fill a register are finished in scalar code. Blocks of many rows
// copy their keys and values into contiguous f32 rows first (block()).
#include <immintrin.h>
#include <math.h>

#include <cstring>

#include "kernels/backend.h"
#include "kernels/cpu/simd_avx2.h"

namespace seek::kernels::avx2 {
namespace {

// Scalar helpers of our own: std::min/max, std::exp(float) and numeric_limits are shared inline
// functions, and a copy compiled in this file could stand in for generic callers (backend.h, ODR).
int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

constexpr int kRowTile = 4;
constexpr int kKeyTile = 3;  // 12 sums a whole score tile (two keys: 8 sums, MLA decode 10% slower)
constexpr int kValueVecs = 2;  // 16 output values per values tile
constexpr int64_t kBlockKeys = kAttentionBlockKeys;
constexpr int64_t kMaxRowTiles = kAttentionBlockRows / kRowTile;
constexpr int64_t kPackMinRows = 16;        // blocks of this many rows copy small K/V rows (block())
constexpr int64_t kPackFloats = 12 * 1024;  // at most 48 KB of copied K and V per block
static_assert(kBlockKeys == 32, "the softmax pass holds a block's scores in four registers");

template <DType KV>
__m256 load_kv(const uint8_t* row, int64_t c) {
  if constexpr (KV == DType::kBF16) {
    const __m128i h =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + c));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + c);
}

template <DType KV>
float kv_scalar(const uint8_t* row, int64_t c) {
  if constexpr (KV == DType::kBF16) return bf16_to_f32(reinterpret_cast<const uint16_t*>(row)[c]);
  return reinterpret_cast<const float*>(row)[c];
}

// Lane i of the result is the sum of v[i]'s lanes.
__m256 reduce8(const __m256 v[8]) {
  const __m256 h01 = _mm256_hadd_ps(v[0], v[1]), h23 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 h45 = _mm256_hadd_ps(v[4], v[5]), h67 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 lo = _mm256_hadd_ps(h01, h23), hi = _mm256_hadd_ps(h45, h67);  // per 128-bit half
  return _mm256_add_ps(_mm256_permute2f128_ps(lo, hi, 0x20), _mm256_permute2f128_ps(lo, hi, 0x31));
}

// S[r0 .. r0+R-1][j0 .. j0+KT-1], R·KT <= 16 sums reduced eight at a time; rows and keys past the
// block's end repeat its last one (never read), keys past its 32 slots are not stored.
template <DType KV, int R, int KT>
void score_tile(const AttentionBlock& b, int64_t r0, int64_t j0) {
  static_assert(R * KT <= 16, "at most two reduce8 per tile");
  const float* q[R];
  const uint8_t* k[KT];
#pragma GCC unroll 4
  for (int i = 0; i < R; ++i) q[i] = b.q[min64(r0 + i, b.rows - 1)];
#pragma GCC unroll 8
  for (int j = 0; j < KT; ++j) k[j] = b.k + min64(j0 + j, b.keys - 1) * b.k_stride;
  constexpr int kSums = R * KT > 8 ? 16 : 8;
  __m256 acc[kSums];
#pragma GCC unroll 16
  for (int t = 0; t < kSums; ++t) acc[t] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 8 <= b.dk; c += 8) {
    __m256 kv[KT];
#pragma GCC unroll 8
    for (int j = 0; j < KT; ++j) kv[j] = load_kv<KV>(k[j], c);
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) {
      const __m256 qv = _mm256_loadu_ps(q[i] + c);
#pragma GCC unroll 8
      for (int j = 0; j < KT; ++j) acc[i * KT + j] = _mm256_fmadd_ps(qv, kv[j], acc[i * KT + j]);
    }
  }
  alignas(32) float sums[kSums];
  _mm256_store_ps(sums, reduce8(acc));
  if constexpr (kSums > 8) _mm256_store_ps(sums + 8, reduce8(acc + 8));
  for (int i = 0; i < R && r0 + i < b.rows; ++i) {
    for (int j = 0; j < KT && j0 + j < kBlockKeys; ++j) {
      float s = sums[i * KT + j];
      for (int64_t t = c; t < b.dk; ++t) s += q[i][t] * kv_scalar<KV>(k[j], t);
      b.s[(r0 + i) * kBlockKeys + j0 + j] = s * b.scale;
    }
  }
}

// The online-softmax update of every row; alpha[r] receives the rescale of row r's old output.
void softmax_rows(const AttentionBlock& b, float* alpha) {
  const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t r = 0; r < b.rows; ++r) {
    float* s = b.s + r * kBlockKeys;
    const int64_t n = b.valid[r];
    __m256 x[4], keep[4];
    __m256 mx = neg_inf;
    for (int u = 0; u < 4; ++u) {
      keep[u] = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - 8 * u)), lane));
      x[u] = _mm256_blendv_ps(neg_inf, _mm256_loadu_ps(s + 8 * u), keep[u]);
      mx = _mm256_max_ps(mx, x[u]);
    }
    if (n == 0) {  // nothing to add: zero probabilities, output kept as is
      alpha[r] = 1.0f;
      for (int u = 0; u < 4; ++u) _mm256_storeu_ps(s + 8 * u, _mm256_setzero_ps());
      continue;
    }
    const float m_new = fmaxf(b.m[r], hmax(mx));
    const __m256 mv = _mm256_set1_ps(m_new);
    __m256 sum = _mm256_setzero_ps();
    for (int u = 0; u < 4; ++u) {
      const __m256 p = _mm256_and_ps(exp_ps(_mm256_sub_ps(x[u], mv)), keep[u]);
      sum = _mm256_add_ps(sum, p);
      _mm256_storeu_ps(s + 8 * u, p);
    }
    alpha[r] = expf(b.m[r] - m_new);  // 0 on the first keys (m = -inf)
    b.l[r] = b.l[r] * alpha[r] + hsum(sum);
    b.m[r] = m_new;
  }
}

// O[r0 .. r0+NR) [c0 .. c0+8·VV) = α·O + P·V over the first `keys` keys.
template <DType KV, int NR, int VV = kValueVecs>
void value_tile(const AttentionBlock& b, const float* alpha, int64_t r0, int64_t c0, int64_t keys) {
  __m256 acc[NR][VV];
  const float* p[NR];
#pragma GCC unroll 4
  for (int i = 0; i < NR; ++i) {
    p[i] = b.s + (r0 + i) * kBlockKeys;
    const __m256 a = _mm256_set1_ps(alpha[r0 + i]);
#pragma GCC unroll 8
    for (int v = 0; v < VV; ++v)
      acc[i][v] = _mm256_mul_ps(_mm256_loadu_ps(b.o[r0 + i] + c0 + 8 * v), a);
  }
  for (int64_t j = 0; j < keys; ++j) {
    const uint8_t* row = b.v + j * b.v_stride;
    __m256 vv[VV];
#pragma GCC unroll 8
    for (int v = 0; v < VV; ++v) vv[v] = load_kv<KV>(row, c0 + 8 * v);
#pragma GCC unroll 4
    for (int i = 0; i < NR; ++i) {
      const __m256 pb = _mm256_broadcast_ss(p[i] + j);
#pragma GCC unroll 8
      for (int v = 0; v < VV; ++v) acc[i][v] = _mm256_fmadd_ps(pb, vv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < NR; ++i) {
#pragma GCC unroll 8
    for (int v = 0; v < VV; ++v) _mm256_storeu_ps(b.o[r0 + i] + c0 + 8 * v, acc[i][v]);
  }
}

// The scores of the last 1-3 rows of a block (those past its whole 4-row tiles), R rows by 8 / R keys
// so that every tile still keeps eight sums (GQA groups of 5, 6 or 7 heads, MHA's one row a head).
template <DType KV, int R>
void score_rest(const AttentionBlock& b, int64_t r0, int64_t keys) {
  constexpr int KT = R == 3 ? 2 : 8 / R;
  for (int64_t j0 = 0; j0 < keys; j0 += KT) score_tile<KV, R, KT>(b, r0, j0);
}

// The values of the last 1-3 rows, R rows by 8 / R vectors (the same eight sums), then by two.
// Both loops end at dv rounded down to 16, where the whole tiles end too.
template <DType KV, int R>
void value_rest(const AttentionBlock& b, const float* alpha, int64_t r0, int64_t keys) {
  constexpr int VV = R == 3 ? kValueVecs : 8 / R;
  int64_t c0 = 0;
  for (; c0 + 8 * VV <= b.dv; c0 += 8 * VV) value_tile<KV, R, VV>(b, alpha, r0, c0, keys);
  for (; c0 + 8 * kValueVecs <= b.dv; c0 += 8 * kValueVecs) value_tile<KV, R>(b, alpha, r0, c0, keys);
}

template <DType KV>
void block_typed(const AttentionBlock& b) {
  // Keys each row tile needs: the most any of its rows may see (valid counts are prefixes).
  int64_t tile_keys[kMaxRowTiles];
  const int64_t row_tiles = (b.rows + kRowTile - 1) / kRowTile, whole_tiles = b.rows / kRowTile;
  const int rest = static_cast<int>(b.rows - whole_tiles * kRowTile);
  for (int64_t t = 0; t < row_tiles; ++t) {
    int64_t most = 0;
    for (int64_t r = t * kRowTile; r < min64(b.rows, (t + 1) * kRowTile); ++r) {
      most = max64(most, b.valid[r]);
    }
    tile_keys[t] = most;
  }
  // Whole 4-row tiles three keys at a time, so that the keys are read once for all of them.
  for (int64_t j0 = 0; j0 < b.keys; j0 += kKeyTile) {
    for (int64_t t = 0; t < whole_tiles; ++t) {
      if (tile_keys[t] > j0) score_tile<KV, kRowTile, kKeyTile>(b, t * kRowTile, j0);
    }
  }
  const int64_t r_rest = whole_tiles * kRowTile, rest_keys = rest > 0 ? tile_keys[whole_tiles] : 0;
  switch (rest_keys > 0 ? rest : 0) {
    case 1: score_rest<KV, 1>(b, r_rest, rest_keys); break;
    case 2: score_rest<KV, 2>(b, r_rest, rest_keys); break;
    case 3: score_rest<KV, 3>(b, r_rest, rest_keys); break;
    default: break;
  }
  alignas(32) float alpha[kAttentionBlockRows];
  softmax_rows(b, alpha);
  const int64_t full_end = b.dv / (8 * kValueVecs) * (8 * kValueVecs);
  for (int64_t c0 = 0; c0 < full_end; c0 += 8 * kValueVecs) {
    for (int64_t t = 0; t < whole_tiles; ++t) {
      if (tile_keys[t] == 0) continue;  // no row of the tile sees a key here: α = 1, nothing to add
      value_tile<KV, kRowTile>(b, alpha, t * kRowTile, c0, tile_keys[t]);
    }
  }
  switch (rest_keys > 0 ? rest : 0) {
    case 1: value_rest<KV, 1>(b, alpha, r_rest, rest_keys); break;
    case 2: value_rest<KV, 2>(b, alpha, r_rest, rest_keys); break;
    case 3: value_rest<KV, 3>(b, alpha, r_rest, rest_keys); break;
    default: break;
  }
  // The last dv % 16 values, one row at a time.
  for (int64_t r = 0; r < b.rows && full_end < b.dv; ++r) {
    float* o = b.o[r];
    const float* p = b.s + r * kBlockKeys;
    for (int64_t c = full_end; c < b.dv; ++c) {
      float acc = o[c] * alpha[r];
      for (int64_t j = 0; j < b.valid[r]; ++j) acc += p[j] * kv_scalar<KV>(b.v + j * b.v_stride, c);
      o[c] = acc;
    }
  }
}

bool supports(DType kv_type) { return kv_type == DType::kF32 || kv_type == DType::kBF16; }

// Copies `keys` rows of `width` values (rows `stride` bytes apart) as f32 rows `dst_stride` floats apart.
template <DType KV>
void pack_rows(const uint8_t* src, int64_t stride, int64_t keys, int64_t width, float* dst,
               int64_t dst_stride) {
  for (int64_t j = 0; j < keys; ++j) {
    const uint8_t* row = src + j * stride;
    int64_t c = 0;
    for (; c + 8 <= width; c += 8) _mm256_storeu_ps(dst + j * dst_stride + c, load_kv<KV>(row, c));
    for (; c < width; ++c) dst[j * dst_stride + c] = kv_scalar<KV>(row, c);
  }
}

void block(const AttentionBlock& b) {
  // Blocks of many rows (prefill) first copy their keys and values into contiguous f32 rows: the
  // cache rows of one head sit H·head_dim values apart, often a multiple of 4 KB, and then all land
  // in the same few L1 sets (see attention_avx512.cpp). bf16 is also widened once, not per row tile.
  const int64_t dk_pad = (b.dk + 7) / 8 * 8, dv_pad = (b.dv + 7) / 8 * 8;
  if (b.rows >= kPackMinRows && kBlockKeys * (dk_pad + dv_pad) <= kPackFloats) {
    alignas(32) float packed[kPackFloats];
    AttentionBlock pb = b;
    float* k = packed;
    float* v = packed + kBlockKeys * dk_pad;
    if (b.kv_type == DType::kBF16) {
      pack_rows<DType::kBF16>(b.k, b.k_stride, b.keys, b.dk, k, dk_pad);
      pack_rows<DType::kBF16>(b.v, b.v_stride, b.keys, b.dv, v, dv_pad);
    } else {
      pack_rows<DType::kF32>(b.k, b.k_stride, b.keys, b.dk, k, dk_pad);
      pack_rows<DType::kF32>(b.v, b.v_stride, b.keys, b.dv, v, dv_pad);
    }
    pb.k = reinterpret_cast<const uint8_t*>(k);
    pb.v = reinterpret_cast<const uint8_t*>(v);
    pb.k_stride = dk_pad * 4;
    pb.v_stride = dv_pad * 4;
    pb.kv_type = DType::kF32;
    block_typed<DType::kF32>(pb);
  } else if (b.kv_type == DType::kBF16) {
    block_typed<DType::kBF16>(b);
  } else {
    block_typed<DType::kF32>(b);
  }
}

}  // namespace

const AttentionBackend kAttention = {&supports, &block, nullptr, nullptr};

}  // namespace seek::kernels::avx2
