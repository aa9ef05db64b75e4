// The quantised activations the AVX2 products of q8_0, q4_0, the K-quants and the legacy and iq4 types
// read: x quantised to q8_0 once per call (quantise_x_avx2.cpp), with the copies and sums the kernels
// of matmul_quant_avx2.cpp and matmul_kquant_avx2.cpp take. Include only from files compiled
// with the AVX2 flags; everything is `static inline` (internal linkage, see backend.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "kernels/backend.h"
#include "kernels/cpu/matmul_avx2.h"

namespace seek::kernels::avx2 {

// From kLaneMinRows x rows these take the lanes with q4_0's block pairs (quant_rows_lanes); fewer rows
// take the K-quant kernels (matmul_kquant_avx2.cpp). q4_K's sub-blocks are unsigned nibbles as q4_0's,
// with a scale and a min each.
static constexpr bool lanes_from_four(DType w) {
  return w == DType::kIQ4_NL || w == DType::kIQ4_XS || w == DType::kQ4_K;
}

struct QuantAct {
  const int8_t* q;        // [m][k]
  const float* d;         // [m][nb]
  const int32_t* offset;  // [m][nb]: 8 · Σ of each block's 32 values (q4_0's nibble offset)
  // The scales and 8·sums again, [nb][lane_stride(m)] (lane i = row i; the padding past m holds 0):
  // quant_rows_lanes loads a block's four or eight rows in one vector.
  const float* d_lanes;
  const int32_t* offset_lanes;
  // q4_0 only: q again, [m][k], each pair of blocks (b, b + 1), b even, as 64 bytes in the order
  // their nibbles unpack (load_nibble_pair): values 0-15 of b, of b + 1, then 16-31 of b, of b + 1.
  // An odd last block is left out (read from q).
  const int8_t* q_pairs;
  // q2_K, q3_K, q6_K only: [m][k / 16], Σ of each 16 values (their 16-value groups' offsets and mins).
  const int16_t* group_sums;
};

// Rows of x per weight block in the lane layout: m rounded up to a whole 8-lane vector.
static inline int64_t lane_stride(int64_t m) { return (m + 7) / 8 * 8; }
// From this many x rows quantised products take slices of 4 or 8 rows in lanes (quant_rows_many);
// below it the lane copies are not written (quantise_x runs for every decoded token).
constexpr int64_t kLaneMinRows = 4;
// The other K-quants, q4_1 and q5_* take no lanes (matmul_kquant_avx2.cpp reads x rows a few at a time).
static inline int64_t lane_min_rows(DType w) {
  return reads_super_blocks(w) && !lanes_from_four(w) ? INT64_MAX : kLaneMinRows;
}
// x again in pair order (QuantAct::q_pairs): q4_0's lanes and one-row dot, the other pair types' lanes.
static inline bool writes_pairs(DType w, int64_t m, int64_t nb) {
  if (w == DType::kQ4_0) return m > 1 || nb >= 8;  // one row reads its pairs only in whole groups of eight
  return lanes_from_four(w) && m >= lane_min_rows(w);
}

// Byte offsets of the scales, the sums and their lane copies in one head's activation area.
static inline size_t act_scales_at(int64_t m, int64_t k) { return align64(static_cast<size_t>(m * k)); }
static inline size_t act_offsets_at(int64_t m, int64_t k) {
  return act_scales_at(m, k) + align64(static_cast<size_t>(m * (k / 32)) * 4);
}
static inline size_t lanes_bytes(int64_t m, int64_t k) {
  return align64(static_cast<size_t>((k / 32) * lane_stride(m)) * 4);
}
static inline size_t act_lanes_at(int64_t m, int64_t k) {
  return act_offsets_at(m, k) + align64(static_cast<size_t>(m * (k / 32)) * 4);
}
static inline size_t act_pairs_at(int64_t m, int64_t k) { return act_lanes_at(m, k) + 2 * lanes_bytes(m, k); }
static inline size_t act_groups_at(int64_t m, int64_t k) {
  return act_pairs_at(m, k) + align64(static_cast<size_t>(m * k));
}

// Weights whose 16-value groups take an offset or a min through x's group sums (matmul_kquant_avx2.cpp).
static inline bool needs_group_sums(DType w) { return w == DType::kQ2_K || w == DType::kQ3_K || w == DType::kQ6_K; }

static inline QuantAct quant_act(const uint8_t* scratch, int64_t m, int64_t k) {
  const size_t lanes = act_lanes_at(m, k);
  return {reinterpret_cast<const int8_t*>(scratch),
          reinterpret_cast<const float*>(scratch + act_scales_at(m, k)),
          reinterpret_cast<const int32_t*>(scratch + act_offsets_at(m, k)),
          reinterpret_cast<const float*>(scratch + lanes),
          reinterpret_cast<const int32_t*>(scratch + lanes + lanes_bytes(m, k)),
          reinterpret_cast<const int8_t*>(scratch + act_pairs_at(m, k)),
          reinterpret_cast<const int16_t*>(scratch + act_groups_at(m, k))};
}

}  // namespace seek::kernels::avx2
