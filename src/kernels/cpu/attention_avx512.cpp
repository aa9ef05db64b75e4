// The flash attention block step with AVX-512 (the walk over blocks is kernels/attention_flash.cpp).
//
// A block is up to 64 query rows sharing one kv head by up to 32 keys, done in three passes:
//   scores   S = scale · Q·Kᵀ;
//   softmax  per row: the new running max m, P = e^(S - m) (zero past the row's valid keys), the
//            rescale α = e^(m_old - m) and l = α·l + ΣP;
//   values   O = α·O + P·V in register tiles of 4 rows by 64 values: each value vector feeds 4 rows.
// Scores come in two forms. Straight from the cache rows (decode, and any head too wide to copy):
// dot products in register tiles of 4 rows by 4 keys, each key vector widened once for 4 rows and
// the 16 sums reduced together. For blocks of many rows with small heads (prefill), the block's keys
// are first copied transposed, and the scores are a GEMM micro-kernel (block_packed).
// For MQA decode the key rows come from DRAM once per block for all heads, and the values pass
// re-reads the same rows (v is a view of k) from cache. MQA decode with H = 16 is bound by the
// multiply-adds (2 x 1088 flops per 2304-byte f32 key), not by DRAM.
//
// bf16 keys and values are widened to f32 exactly on load, so scores and outputs have f32 rounding
// only, as with an f32 cache.
#include <math.h>

#include <cstring>

#include "kernels/backend.h"
#include "kernels/cpu/simd_avx512.h"

namespace seek::kernels::avx512 {
namespace {

// Scalar helpers of our own: std::min/max, std::exp(float) and numeric_limits are shared inline
// functions, and a copy compiled in this file could stand in for generic callers (backend.h, ODR).
int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

constexpr int kRowTile = 4;
constexpr int kKeyTile = 4;
constexpr int kValueRows = 4;  // rows per values tile (16 accumulators)
constexpr int kValueVecs = 4;  // 64 output values per values tile
constexpr int64_t kBlockKeys = kAttentionBlockKeys;
constexpr int64_t kMaxRowTiles = kAttentionBlockRows / kRowTile;
constexpr int64_t kL1KeyBytes = 32 * 1024;  // a block's keys up to this size are kept in L1
constexpr int64_t kPackMinRows = 16;        // blocks of this many rows copy small K/V (block_packed)
constexpr int64_t kPackFloats = 12 * 1024;  // at most 48 KB of copied K and V per block
constexpr int kTransposedRows = 8;          // rows per scores tile from transposed keys
static_assert(kBlockKeys == 32, "the softmax pass holds a block's scores in two registers");

template <DType KV>
__m512 load_kv(const uint8_t* row, int64_t c, int count) {
  if constexpr (KV == DType::kBF16) return load_bf16(reinterpret_cast<const uint16_t*>(row) + c, count);
  return load_f32(reinterpret_cast<const float*>(row) + c, count);
}

__mmask16 lane_mask(int64_t count) {
  if (count <= 0) return 0;
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
}

// Lane i of the result is the sum of v[i]'s lanes (45 shuffles and adds for 16 sums).
__attribute__((always_inline)) inline __m512 reduce16(const __m512 v[16]) {
  __m512 a[8], b[4];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    a[i] =
        _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  }
  // Per 128-bit lane, b[i] holds that lane's partial sums of v[4i .. 4i+3].
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const __m512d x = _mm512_castps_pd(a[2 * i]), y = _mm512_castps_pd(a[2 * i + 1]);
    b[i] =
        _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)), _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
  }
  const __m512 c0 = _mm512_add_ps(_mm512_shuffle_f32x4(b[0], b[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(b[0], b[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 c1 = _mm512_add_ps(_mm512_shuffle_f32x4(b[2], b[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(b[2], b[3], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(c0, c1, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(c0, c1, _MM_SHUFFLE(3, 1, 3, 1)));
}

// S[r0 .. r0+3][j0 .. j0+3]. Rows and keys past the block's end repeat its last one (their scores
// are never read), so the tile is always full width.
template <DType KV>
void score_tile(const AttentionBlock& b, int64_t r0, int64_t j0) {
  const float* q[kRowTile];
  const uint8_t* k[kKeyTile];
#pragma GCC unroll 4
  for (int i = 0; i < kRowTile; ++i) q[i] = b.q[min64(r0 + i, b.rows - 1)];
#pragma GCC unroll 4
  for (int j = 0; j < kKeyTile; ++j) k[j] = b.k + min64(j0 + j, b.keys - 1) * b.k_stride;
  __m512 acc[kRowTile * kKeyTile];
#pragma GCC unroll 16
  for (int t = 0; t < kRowTile * kKeyTile; ++t) acc[t] = _mm512_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= b.dk; c += 16) {
    __m512 kv[kKeyTile];
#pragma GCC unroll 4
    for (int j = 0; j < kKeyTile; ++j) kv[j] = load_kv<KV>(k[j], c, 16);
#pragma GCC unroll 4
    for (int i = 0; i < kRowTile; ++i) {
      const __m512 qv = _mm512_loadu_ps(q[i] + c);
#pragma GCC unroll 4
      for (int j = 0; j < kKeyTile; ++j)
        acc[i * kKeyTile + j] = _mm512_fmadd_ps(qv, kv[j], acc[i * kKeyTile + j]);
    }
  }
  if (c < b.dk) {
    const int count = static_cast<int>(b.dk - c);
    __m512 kv[kKeyTile];
#pragma GCC unroll 4
    for (int j = 0; j < kKeyTile; ++j) kv[j] = load_kv<KV>(k[j], c, count);
#pragma GCC unroll 4
    for (int i = 0; i < kRowTile; ++i) {
      const __m512 qv = load_f32(q[i] + c, count);
#pragma GCC unroll 4
      for (int j = 0; j < kKeyTile; ++j)
        acc[i * kKeyTile + j] = _mm512_fmadd_ps(qv, kv[j], acc[i * kKeyTile + j]);
    }
  }
  alignas(64) float sums[kRowTile * kKeyTile];
  _mm512_store_ps(sums, _mm512_mul_ps(reduce16(acc), _mm512_set1_ps(b.scale)));
  for (int i = 0; i < kRowTile && r0 + i < b.rows; ++i) {
    _mm_storeu_ps(b.s + (r0 + i) * kBlockKeys + j0, _mm_load_ps(sums + i * kKeyTile));
  }
}

// The online-softmax update of every row; alpha[r] receives the rescale of row r's old output.
void softmax_rows(const AttentionBlock& b, float* alpha) {
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
  for (int64_t r = 0; r < b.rows; ++r) {
    float* s = b.s + r * kBlockKeys;
    const int64_t n = b.valid[r];
    if (n == 0) {  // nothing to add: zero probabilities, output kept as is
      alpha[r] = 1.0f;
      _mm512_storeu_ps(s, _mm512_setzero_ps());
      _mm512_storeu_ps(s + 16, _mm512_setzero_ps());
      continue;
    }
    const __mmask16 m0 = lane_mask(n), m1 = lane_mask(n - 16);
    const __m512 x0 = _mm512_mask_loadu_ps(neg_inf, m0, s), x1 = _mm512_mask_loadu_ps(neg_inf, m1, s + 16);
    const float m_new = fmaxf(b.m[r], _mm512_reduce_max_ps(_mm512_max_ps(x0, x1)));
    const __m512 mv = _mm512_set1_ps(m_new);
    const __m512 p0 = _mm512_maskz_mov_ps(m0, exp_ps(_mm512_sub_ps(x0, mv)));
    const __m512 p1 = _mm512_maskz_mov_ps(m1, exp_ps(_mm512_sub_ps(x1, mv)));
    alpha[r] = expf(b.m[r] - m_new);  // 0 on the first keys (m = -inf)
    b.l[r] = b.l[r] * alpha[r] + _mm512_reduce_add_ps(_mm512_add_ps(p0, p1));
    b.m[r] = m_new;
    _mm512_storeu_ps(s, p0);
    _mm512_storeu_ps(s + 16, p1);
  }
}

// O[r0 .. r0+NR) [c0 .. c0+64) = α·O + P·V over the first `keys` keys. counts[v]: values of vector v
// inside dv (16 except at the tail; Masked selects the masked loads and stores).
template <DType KV, int NR, bool Masked>
void value_tile(const AttentionBlock& b, const float* alpha, int64_t r0, int64_t c0, int64_t keys,
                const int* counts) {
  __m512 acc[NR][kValueVecs];
  const float* p[NR];
#pragma GCC unroll 4
  for (int i = 0; i < NR; ++i) {
    p[i] = b.s + (r0 + i) * kBlockKeys;
    const __m512 a = _mm512_set1_ps(alpha[r0 + i]);
#pragma GCC unroll 4
    for (int v = 0; v < kValueVecs; ++v) {
      const float* o = b.o[r0 + i] + c0 + 16 * v;
      acc[i][v] = _mm512_mul_ps(Masked ? load_f32(o, counts[v]) : _mm512_loadu_ps(o), a);
    }
  }
  for (int64_t j = 0; j < keys; ++j) {
    const uint8_t* row = b.v + j * b.v_stride;
    __m512 vv[kValueVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kValueVecs; ++v) vv[v] = load_kv<KV>(row, c0 + 16 * v, Masked ? counts[v] : 16);
#pragma GCC unroll 4
    for (int i = 0; i < NR; ++i) {
      const __m512 pb = _mm512_set1_ps(p[i][j]);
#pragma GCC unroll 4
      for (int v = 0; v < kValueVecs; ++v) acc[i][v] = _mm512_fmadd_ps(pb, vv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < NR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < kValueVecs; ++v) {
      float* o = b.o[r0 + i] + c0 + 16 * v;
      if (Masked) {
        _mm512_mask_storeu_ps(o, lane_mask(counts[v]), acc[i][v]);
      } else {
        _mm512_storeu_ps(o, acc[i][v]);
      }
    }
  }
}

template <DType KV, bool Masked>
void value_tiles(const AttentionBlock& b, const float* alpha, int64_t c0, const int* counts) {
  for (int64_t r0 = 0; r0 < b.rows; r0 += kValueRows) {
    const int64_t nr = min64(kValueRows, b.rows - r0);
    int64_t keys = 0;  // the most any row of the tile may see (valid counts are prefixes)
    for (int64_t r = r0; r < r0 + nr; ++r) keys = max64(keys, b.valid[r]);
    if (keys == 0) continue;  // α = 1 and nothing to add
    switch (nr) {
      case 1: value_tile<KV, 1, Masked>(b, alpha, r0, c0, keys, counts); break;
      case 2: value_tile<KV, 2, Masked>(b, alpha, r0, c0, keys, counts); break;
      case 3: value_tile<KV, 3, Masked>(b, alpha, r0, c0, keys, counts); break;
      default: value_tile<KV, kValueRows, Masked>(b, alpha, r0, c0, keys, counts); break;
    }
  }
}

// Keys each tile of `tile_rows` rows needs: the most any of its rows may see (valid counts are
// prefixes). Returns the number of tiles.
int64_t row_tile_keys(const AttentionBlock& b, int64_t tile_rows, int64_t* tile_keys) {
  const int64_t tiles = (b.rows + tile_rows - 1) / tile_rows;
  for (int64_t t = 0; t < tiles; ++t) {
    int64_t most = 0;
    for (int64_t r = t * tile_rows; r < min64(b.rows, (t + 1) * tile_rows); ++r) {
      most = max64(most, b.valid[r]);
    }
    tile_keys[t] = most;
  }
  return tiles;
}

// The scores pass straight from the cache rows: dot products in 4 x 4 tiles.
template <DType KV>
void scores_from_rows(const AttentionBlock& b) {
  int64_t tile_keys[kMaxRowTiles];
  const int64_t row_tiles = row_tile_keys(b, kRowTile, tile_keys);
  // One operand is re-read for every tile of the other; the loop order keeps the re-read one in L1.
  // With few key bytes per block a row tile's queries stay in registers and L1 while it passes over
  // all keys; otherwise (MQA decode: 73 KB of keys) each key tile stays in L1 while every row tile
  // passes over it.
  const int64_t elem = KV == DType::kBF16 ? 2 : 4;
  if (b.keys * b.dk * elem <= kL1KeyBytes) {
    for (int64_t t = 0; t < row_tiles; ++t) {
      for (int64_t j0 = 0; j0 < tile_keys[t]; j0 += kKeyTile) score_tile<KV>(b, t * kRowTile, j0);
    }
  } else {
    for (int64_t j0 = 0; j0 < b.keys; j0 += kKeyTile) {
      for (int64_t t = 0; t < row_tiles; ++t) {
        if (tile_keys[t] > j0) score_tile<KV>(b, t * kRowTile, j0);
      }
    }
  }
}

// S[r0 .. r0+NR)[0 .. 32) from keys transposed to kt[c][key] (32 keys per row): a GEMM micro-kernel,
// each query value broadcast against two registers of 16 keys, no horizontal sums.
template <int NR>
void score_rows_transposed(const AttentionBlock& b, const float* kt, int64_t r0) {
  __m512 acc[NR][2];
  const float* q[NR];
#pragma GCC unroll 8
  for (int i = 0; i < NR; ++i) {
    q[i] = b.q[r0 + i];
    acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  }
  for (int64_t c = 0; c < b.dk; ++c) {
    const __m512 k0 = _mm512_load_ps(kt + c * kBlockKeys), k1 = _mm512_load_ps(kt + c * kBlockKeys + 16);
#pragma GCC unroll 8
    for (int i = 0; i < NR; ++i) {
      const __m512 qb = _mm512_set1_ps(q[i][c]);
      acc[i][0] = _mm512_fmadd_ps(qb, k0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(qb, k1, acc[i][1]);
    }
  }
  const __m512 scale = _mm512_set1_ps(b.scale);
#pragma GCC unroll 8
  for (int i = 0; i < NR; ++i) {
    _mm512_storeu_ps(b.s + (r0 + i) * kBlockKeys, _mm512_mul_ps(acc[i][0], scale));
    _mm512_storeu_ps(b.s + (r0 + i) * kBlockKeys + 16, _mm512_mul_ps(acc[i][1], scale));
  }
}

void scores_transposed(const AttentionBlock& b, const float* kt) {
  int64_t tile_keys[kMaxRowTiles];
  const int64_t row_tiles = row_tile_keys(b, kTransposedRows, tile_keys);
  for (int64_t t = 0; t < row_tiles; ++t) {
    if (tile_keys[t] == 0) continue;
    const int64_t r0 = t * kTransposedRows;
    switch (min64(kTransposedRows, b.rows - r0)) {
      case 1: score_rows_transposed<1>(b, kt, r0); break;
      case 2: score_rows_transposed<2>(b, kt, r0); break;
      case 3: score_rows_transposed<3>(b, kt, r0); break;
      case 4: score_rows_transposed<4>(b, kt, r0); break;
      case 5: score_rows_transposed<5>(b, kt, r0); break;
      case 6: score_rows_transposed<6>(b, kt, r0); break;
      case 7: score_rows_transposed<7>(b, kt, r0); break;
      default: score_rows_transposed<kTransposedRows>(b, kt, r0); break;
    }
  }
}

// The softmax and values passes, once S holds the block's scores.
template <DType KV>
void softmax_and_values(const AttentionBlock& b) {
  alignas(64) float alpha[kAttentionBlockRows];
  softmax_rows(b, alpha);
  const int full[kValueVecs] = {16, 16, 16, 16};
  const int64_t full_end = b.dv / (16 * kValueVecs) * (16 * kValueVecs);
  for (int64_t c0 = 0; c0 < full_end; c0 += 16 * kValueVecs) value_tiles<KV, false>(b, alpha, c0, full);
  if (full_end < b.dv) {
    int counts[kValueVecs];
    for (int v = 0; v < kValueVecs; ++v)
      counts[v] = static_cast<int>(clamp64(b.dv - full_end - 16 * v, 0, 16));
    value_tiles<KV, true>(b, alpha, full_end, counts);
  }
}

// Copies the block's keys transposed into kt[c][key] (dk_pad rows of 32 f32; missing keys zero).
template <DType KV>
void pack_keys_transposed(const AttentionBlock& b, float* kt) {
  for (int64_t j0 = 0; j0 < kBlockKeys; j0 += 16) {
    for (int64_t c = 0; c < b.dk; c += 16) {
      const int count = static_cast<int>(min64(16, b.dk - c));
      __m512i v[16];
#pragma GCC unroll 16
      for (int r = 0; r < 16; ++r) {
        v[r] = j0 + r < b.keys ? _mm512_castps_si512(load_kv<KV>(b.k + (j0 + r) * b.k_stride, c, count))
                               : _mm512_setzero_si512();
      }
      transpose_16x16(v);
#pragma GCC unroll 16
      for (int i = 0; i < 16; ++i) _mm512_store_si512(kt + (c + i) * kBlockKeys + j0, v[i]);
    }
  }
}

// Copies `keys` rows of `width` values (rows `stride` bytes apart) as f32 rows `dst_stride` floats apart.
template <DType KV>
void pack_rows(const uint8_t* src, int64_t stride, int64_t keys, int64_t width, float* dst,
               int64_t dst_stride) {
  for (int64_t j = 0; j < keys; ++j) {
    for (int64_t c = 0; c < width; c += 16) {
      const int count = static_cast<int>(min64(16, width - c));
      _mm512_mask_storeu_ps(dst + j * dst_stride + c, lane_mask(count),
                            load_kv<KV>(src + j * stride, c, count));
    }
  }
}

// Blocks of many rows with small heads (prefill) first copy their keys (transposed) and values into
// contiguous f32. Two gains: the scores become a GEMM micro-kernel without horizontal sums, and the
// cache rows of one head, H·head_dim values apart (often a multiple of 4 KB, so that they all land in
// the same few L1 sets), are read once: naive-MLA prefill ran 16% faster for the copy alone. bf16
// is widened once instead of once per row tile.
template <DType KV>
void block_packed(const AttentionBlock& b, int64_t dk_pad, int64_t dv_pad) {
  alignas(64) float packed[kPackFloats];
  float* kt = packed;
  float* v = packed + dk_pad * kBlockKeys;
  pack_keys_transposed<KV>(b, kt);
  pack_rows<KV>(b.v, b.v_stride, b.keys, b.dv, v, dv_pad);
  scores_transposed(b, kt);
  AttentionBlock pb = b;
  pb.v = reinterpret_cast<const uint8_t*>(v);
  pb.v_stride = dv_pad * 4;
  pb.kv_type = DType::kF32;
  softmax_and_values<DType::kF32>(pb);
}

template <DType KV>
void block_typed(const AttentionBlock& b) {
  const int64_t dk_pad = (b.dk + 15) / 16 * 16, dv_pad = (b.dv + 15) / 16 * 16;
  if (b.rows >= kPackMinRows && kBlockKeys * (dk_pad + dv_pad) <= kPackFloats) {
    block_packed<KV>(b, dk_pad, dv_pad);
    return;
  }
  scores_from_rows<KV>(b);
  softmax_and_values<KV>(b);
}

bool supports(DType kv_type) { return kv_type == DType::kF32 || kv_type == DType::kBF16; }

void block(const AttentionBlock& b) {
  if (b.kv_type == DType::kBF16) {
    block_typed<DType::kBF16>(b);
  } else {
    block_typed<DType::kF32>(b);
  }
}

}  // namespace

const AttentionBackend kAttention = {&supports, &block, nullptr, nullptr};

}  // namespace seek::kernels::avx512
