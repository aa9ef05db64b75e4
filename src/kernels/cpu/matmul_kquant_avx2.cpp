// K-quant weights (q4_K, q5_K, q6_K: core/quant_k.h) on AVX2, read from their blocks in place, against
// x quantised to q8_0 (quantise_x, matmul_quant_avx2.cpp). A 256-value super-block meets eight 32-value
// x blocks: each sub-block's integer products are reduced into lane s of one vector (as q4_0's eight
// blocks are), then converted once and scaled by the eight sub-blocks' scales times x's eight block
// scales with one FMA:
//   q4_K, q5_K  Σ_s (d·sc_s)·dx_s · Σ q·x  -  (dmin·m_s)·dx_s · Σ x   (q unsigned, the min taken away
//               through x's block sums, which quantise_x stores as 8·Σ x)
//   q6_K        Σ_s d·dx_s · Σ_g∈s sc_g · Σ (q - 32)·x   (16-value groups' int8 scales applied in int32)
// the same integers and scale products as the reference (ref/matmul_ref.cpp), summed in another order.
// llama.cpp quantises x to q8_K (one scale per 256 values) for these; seek keeps its q8_0 activations,
// finer-grained, so one activation format serves every quantised weight type.
#include <immintrin.h>

#include <cstring>

#include "core/dtype.h"
#include "core/quant_k.h"
#include "kernels/backend.h"
#include "kernels/cpu/int8_reduce_avx2.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/simd_avx2.h"

namespace seek::kernels::avx2 {
namespace {

template <DType W>
constexpr int64_t kSuperBytes = W == DType::kQ4_K ? sizeof(BlockQ4_K) : W == DType::kQ5_K ? sizeof(BlockQ5_K)
                                                                                          : sizeof(BlockQ6_K);

__m256i load32(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// The eight 6-bit scales (or mins) of a q4_K/q5_K super-block as f32 lanes, from its 12 scale bytes
// read as three words (k_scale_min's layout: sub-blocks 0-3 in the low six bits of words 0/1, 4-7 in
// word 2's nibbles plus the top two bits of words 0/1).
struct ScaleMin8 {
  __m256 sc, m;
};
ScaleMin8 scale_min8(const uint8_t* scales) {
  uint32_t w[3];
  std::memcpy(w, scales, 12);
  const uint32_t sc_lo = w[0] & 0x3F3F3F3Fu, m_lo = w[1] & 0x3F3F3F3Fu;
  const uint32_t sc_hi = (w[2] & 0x0F0F0F0Fu) | ((w[0] >> 2) & 0x30303030u);
  const uint32_t m_hi = ((w[2] >> 4) & 0x0F0F0F0Fu) | ((w[1] >> 2) & 0x30303030u);
  const auto lanes = [](uint32_t lo, uint32_t hi) {
    const __m128i bytes = _mm_cvtsi64_si128(static_cast<int64_t>(lo | (static_cast<uint64_t>(hi) << 32)));
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
  };
  return {lanes(sc_lo, sc_hi), lanes(m_lo, m_hi)};
}

// A super-block's levels, unsigned, one vector per 32-value sub-block s in x's order; for q6_K also
// its group scales as words (low 128-bit half: group 2s, high half: group 2s + 1).
struct Unpacked {
  __m256i q[8];
  __m256i group_scales[8];  // q6_K only
};

template <DType W>
[[gnu::always_inline]] inline void unpack(const uint8_t* block, Unpacked& u) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  if constexpr (W == DType::kQ6_K) {
    const BlockQ6_K& b = *reinterpret_cast<const BlockQ6_K*>(block);
    const __m256i top2 = _mm256_set1_epi8(0x30);
    // Word 2t (then 2t + 1) of a half's eight scales to every word of the low (high) 128-bit half.
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
#pragma GCC unroll 2
    for (int half = 0; half < 2; ++half) {
      const __m256i l0 = load32(b.ql + 64 * half), l1 = load32(b.ql + 64 * half + 32);
      const __m256i h = load32(b.qh + 32 * half);
      u.q[4 * half + 0] = _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(h, 4), top2));
      u.q[4 * half + 1] = _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(h, 2), top2));
      u.q[4 * half + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(h, top2));
      u.q[4 * half + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                          _mm256_and_si256(_mm256_srli_epi16(h, 2), top2));
      const __m256i scales = _mm256_permute4x64_epi64(sc16, half == 0 ? 0x44 : 0xEE);  // this half's eight
#pragma GCC unroll 4
      for (int t = 0; t < 4; ++t) {
        const char lo = static_cast<char>(4 * t), hi = static_cast<char>(4 * t + 2);  // bytes of words 2t, 2t + 1
        const __m256i pick = _mm256_setr_epi8(lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1, lo, lo + 1,
                                              lo, lo + 1, lo, lo + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1,
                                              hi, hi + 1, hi, hi + 1, hi, hi + 1, hi, hi + 1);
        u.group_scales[4 * half + t] = _mm256_shuffle_epi8(scales, pick);
      }
    }
    return;
  }
  const uint8_t* qs = W == DType::kQ4_K ? reinterpret_cast<const BlockQ4_K*>(block)->qs
                                        : reinterpret_cast<const BlockQ5_K*>(block)->qs;
  __m256i high = W == DType::kQ5_K ? load32(reinterpret_cast<const BlockQ5_K*>(block)->qh) : _mm256_setzero_si256();
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {  // the 32-byte run c: sub-blocks 2c (low nibbles) and 2c + 1 (high)
    const __m256i packed = load32(qs + 32 * c);
    u.q[2 * c] = _mm256_and_si256(packed, low4);
    u.q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
    if constexpr (W == DType::kQ5_K) {  // bit s of qh[l] is bit 4 of sub-block s's value l
#pragma GCC unroll 2
      for (int v = 0; v < 2; ++v) {
        u.q[2 * c + v] =
            _mm256_or_si256(u.q[2 * c + v], _mm256_and_si256(_mm256_slli_epi16(high, 4), _mm256_set1_epi8(0x10)));
        high = _mm256_srli_epi16(high, 1);  // bits that cross into the byte below are masked off above
      }
    }
  }
}

// Lane s: sub-block s's integer sum against x blocks xq[0..8) (one x row): q4_K/q5_K Σ q·x;
// q6_K Σ_g sc_g · Σ (q - 32)·x, the 32 taken away as 32·x pair sums (|word| <= 2·63·127 + 2·32·127).
template <DType W>
[[gnu::always_inline]] inline __m256i sub_block_sums(const Unpacked& u, const int8_t* xq) {
  __m256i s[8];
  if constexpr (W == DType::kQ6_K) {
    const __m256i m32 = _mm256_set1_epi8(32);
#pragma GCC unroll 8
    for (int sub = 0; sub < 8; ++sub) {
      const __m256i x = load32(reinterpret_cast<const uint8_t*>(xq) + 32 * sub);
      const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(u.q[sub], x), _mm256_maddubs_epi16(m32, x));
      s[sub] = _mm256_madd_epi16(p, u.group_scales[sub]);
    }
    return reduce8_epi32(s);
  }
#pragma GCC unroll 8
  for (int sub = 0; sub < 8; ++sub)
    s[sub] = _mm256_maddubs_epi16(u.q[sub], load32(reinterpret_cast<const uint8_t*>(xq) + 32 * sub));
  return fold8_epi16(s);
}

// The super-block's float factors per sub-block lane: scale = d·sc_s (q6_K: d), and for q4_K/q5_K
// min = dmin·m_s / 8 (x's block sums are stored as 8·Σx: the eighth folds in exactly).
struct Factors {
  __m256 scale, min;
};
template <DType W>
[[gnu::always_inline]] inline Factors factors(const uint8_t* block) {
  if constexpr (W == DType::kQ6_K) {
    return {_mm256_set1_ps(_cvtsh_ss(reinterpret_cast<const BlockQ6_K*>(block)->d)), _mm256_setzero_ps()};
  } else {
    const BlockQ4_K& head = *reinterpret_cast<const BlockQ4_K*>(block);  // q5_K starts the same way
    const ScaleMin8 sm = scale_min8(head.scales);
    return {_mm256_mul_ps(sm.sc, _mm256_set1_ps(_cvtsh_ss(head.d))),
            _mm256_mul_ps(sm.m, _mm256_set1_ps(_cvtsh_ss(head.dmin) * 0.125f))};
  }
}

// Weight rows [j0, j1) against x rows i0 .. i0 + R - 1 (R <= 4): each super-block is unpacked and its
// factors computed once for the R rows.
template <DType W, int R>
void k_tile(const MatmulProblem& p, const int8_t* xq, const float* xd, const int32_t* xoffset, int64_t i0, int64_t j0,
            int64_t j1) {
  const int64_t nb = p.k / 32, supers = p.k / kQK_K;
  for (int64_t j = j0; j < j1; ++j) {
    const uint8_t* row = p.w + j * p.w_stride;
    __m256 acc[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < supers; ++sb) {
      const uint8_t* block = row + sb * kSuperBytes<W>;
      // One row at a time is one weight stream; fetch a page ahead as the q8_0/q4_0 row dot does.
      const char* ahead = reinterpret_cast<const char*>(block) + kDecodePrefetchBytes;
#pragma GCC unroll 4
      for (int64_t line = 0; line < kSuperBytes<W>; line += 64) _mm_prefetch(ahead + line, _MM_HINT_T0);
      Unpacked u;
      unpack<W>(block, u);
      const Factors f = factors<W>(block);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const int64_t x0 = (i0 + r) * nb + sb * 8;  // this super-block's first x block in row i0 + r
        const __m256 dx = _mm256_loadu_ps(xd + x0);
        const __m256 sums = _mm256_cvtepi32_ps(sub_block_sums<W>(u, xq + x0 * 32));
        acc[r] = _mm256_fmadd_ps(sums, _mm256_mul_ps(f.scale, dx), acc[r]);
        if constexpr (W != DType::kQ6_K) {
          const __m256 offsets = _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xoffset + x0)));
          acc[r] = _mm256_fnmadd_ps(offsets, _mm256_mul_ps(f.min, dx), acc[r]);
        }
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) y_row(p, i0 + r)[j] = hsum(acc[r]);
  }
}

// x rows four at a time, then the last 1-3, over each block of weight rows (a row of 2,048 q4_K values
// is 1,152 bytes: kRowBlock of them stay in L1 while the x rows pass).
template <DType W>
void k_rows(const MatmulProblem& p, const int8_t* xq, const float* xd, const int32_t* xoffset, int64_t j0,
            int64_t j1) {
  int64_t i0 = 0;
  for (; i0 + 4 <= p.m; i0 += 4) k_tile<W, 4>(p, xq, xd, xoffset, i0, j0, j1);
  switch (p.m - i0) {
    case 1: return k_tile<W, 1>(p, xq, xd, xoffset, i0, j0, j1);
    case 2: return k_tile<W, 2>(p, xq, xd, xoffset, i0, j0, j1);
    case 3: return k_tile<W, 3>(p, xq, xd, xoffset, i0, j0, j1);
    default: return;
  }
}

}  // namespace

void k_quant_products(const MatmulProblem& p, const int8_t* xq, const float* xd, const int32_t* xoffset, int64_t j0,
                      int64_t j1) {
  switch (p.wtype) {
    case DType::kQ4_K: return k_rows<DType::kQ4_K>(p, xq, xd, xoffset, j0, j1);
    case DType::kQ5_K: return k_rows<DType::kQ5_K>(p, xq, xd, xoffset, j0, j1);
    default: return k_rows<DType::kQ6_K>(p, xq, xd, xoffset, j0, j1);
  }
}

}  // namespace seek::kernels::avx2
