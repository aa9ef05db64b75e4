// x quantised to q8_0 for the AVX2 quantised products (quant_act_avx2.h has the layout they read): per
// row the values, block scales and 8·block sums; from four rows the scales and sums again in lanes; for
// q4_0 (and the pair types' lanes) the values again in block-pair order; for q2_K, q3_K and q6_K the sums
// of each 16 values.
#include <immintrin.h>

#include <cstdint>

#include "kernels/backend.h"
#include "kernels/cpu/matmul_avx2.h"
#include "kernels/cpu/quant_act_avx2.h"
#include "kernels/cpu/simd_avx2.h"

namespace seek::kernels::avx2 {
namespace {

// q (one row's k quantised values) in QuantAct::q_pairs' order.
void pair_layout_row(const int8_t* q, int64_t nb, int8_t* out) {
  for (int64_t b = 0; b + 2 <= nb; b += 2) {
    const __m128i* x =
        reinterpret_cast<const __m128i*>(q + b * 32);  // halves: b 0-15, b 16-31, b+1 0-15, b+1 16-31
    __m128i* o = reinterpret_cast<__m128i*>(out + b * 32);
    _mm_storeu_si128(o, _mm_loadu_si128(x));
    _mm_storeu_si128(o + 1, _mm_loadu_si128(x + 2));
    _mm_storeu_si128(o + 2, _mm_loadu_si128(x + 1));
    _mm_storeu_si128(o + 3, _mm_loadu_si128(x + 3));
  }
}

}  // namespace

// Quantised activations of one head: [m][k] int8, then [m][k/32] f32 scales, [m][k/32] int32 block
// sums, the scales and 8·sums again in lanes ([k/32][lane_stride(m)]), q4_0's x again in pair order,
// and [m][k/16] int16 sums of 16 values (QuantAct).
size_t quant_head_bytes(int64_t m, int64_t k) {
  return act_groups_at(m, k) + align64(static_cast<size_t>(m * (k / 16)) * 2);
}

// Quantises rows [row_begin, row_end) of the (head, row) pairs, head-major, into each head's area.
void quantise_x(const MatmulProblem& p, uint8_t* scratch, int64_t row_begin, int64_t row_end) {
  const int64_t nb = p.k / 32;
  for (int64_t hr = row_begin; hr < row_end; ++hr) {
    const int64_t h = hr / p.m, i = hr % p.m;
    const MatmulProblem one = matmul_head(p, h);
    uint8_t* act = scratch + h * quant_head_bytes(p.m, p.k);
    int8_t* q = reinterpret_cast<int8_t*>(act);
    float* d = reinterpret_cast<float*>(act + act_scales_at(p.m, p.k));
    int32_t* offset = reinterpret_cast<int32_t*>(act + act_offsets_at(p.m, p.k));
    float* d_lanes = reinterpret_cast<float*>(act + act_lanes_at(p.m, p.k));
    int32_t* offset_lanes = reinterpret_cast<int32_t*>(act + act_lanes_at(p.m, p.k) + lanes_bytes(p.m, p.k));
    const int64_t ls = lane_stride(p.m);
    const float* x = x_row(one, i);
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    const bool group_sums = needs_group_sums(p.wtype);
    int16_t* groups = reinterpret_cast<int16_t*>(act + act_groups_at(p.m, p.k)) + i * (p.k / 16);
    for (int64_t b = 0; b < nb; ++b) {
      const __m256i v = quantize_block(x + b * 32, d + i * nb + b);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i * p.k + b * 32), v);
      const __m256i quads = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, v), ones16);  // sums of 4 values
      offset[i * nb + b] = 8 * hsum_epi32(quads);
      if (group_sums) {  // lanes 0-3 hold values 0-15, lanes 4-7 values 16-31; |sum| <= 16·127 fits a word
        __m128i g = _mm_hadd_epi32(_mm256_castsi256_si128(quads), _mm256_extracti128_si256(quads, 1));
        g = _mm_hadd_epi32(g, g);
        const int32_t pair = _mm_cvtsi128_si32(_mm_packs_epi32(g, g));
        __builtin_memcpy(groups + 2 * b, &pair, 4);
      }
      if (p.m < lane_min_rows(p.wtype)) continue;
      d_lanes[b * ls + i] = d[i * nb + b];
      offset_lanes[b * ls + i] = offset[i * nb + b];
      if (i == 0)  // the padding lanes
        for (int64_t r = p.m; r < ls; ++r) d_lanes[b * ls + r] = 0.0f, offset_lanes[b * ls + r] = 0;
    }
    if (writes_pairs(p.wtype, p.m, nb))
      pair_layout_row(q + i * p.k, nb, reinterpret_cast<int8_t*>(act + act_pairs_at(p.m, p.k)) + i * p.k);
  }
}

}  // namespace seek::kernels::avx2
