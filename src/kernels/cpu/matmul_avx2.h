// The pieces of the AVX2 matmul shared between its translation units (declarations only).
//
//   matmul_avx2.cpp       the backend: dot-product tiles for decode and quantised weights, the packed
//                         GEMM for float weights from kGemmMinRows rows and for larger w_kn problems
//   matmul_gemm_avx2.cpp  the packed GEMM: weight panels, register-tiled FMA micro-kernel
//   matmul_fp8_avx2.cpp   FP8 e4m3 weights (with block scales) below the GEMM's row count
//   matmul_quant_avx2.cpp q8_0 and q4_0 weights below the GEMM's row count
//   matmul_kquant_avx2.cpp q2_K .. q6_K, iq4_xs; q4_1, q5_0, q5_1, iq4_nl eight blocks at a time
//   matmul_kn_avx2.cpp    w_kn problems (weights stored [k, n], any type) of a few x rows
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "kernels/backend.h"

namespace seek::kernels::avx2 {

// How far ahead the quantised decode row dots (q8_0/q4_0 and the K-quants) prefetch their weight stream:
// one 4 KiB page (matmul_quant_avx2.cpp measured why).
constexpr int64_t kDecodePrefetchBytes = 4096;
constexpr int64_t kGemmPanelRows = 16;  // weight rows (outputs) per packed panel: two ymm registers
size_t gemm_thread_bytes();             // one packed panel per thread
// y[rows, n_begin..n_end) for x rows [m_begin, m_end) of problem p (one head; f32, f16, bf16, FP8,
// q8_0 or q4_0 weights, any of the w_kn / x_km layouts; quantised weights stored [n, k] only).
// thread_scratch: gemm_thread_bytes(), 32-byte aligned.
void gemm_f32(const MatmulProblem& p, int64_t m_begin, int64_t m_end, int64_t n_begin, int64_t n_end,
              uint8_t* thread_scratch);
// y[0..m, j0..j1) of a one-head problem with FP8 e4m3 weights and m < kGemmMinRows x rows.
void fp8_rows(const MatmulProblem& p, int64_t j0, int64_t j1);

// q8_0/q4_0 weights below the GEMM's row count: each head's x rows are quantised to q8_0 once per
// call into an area of quant_head_bytes(m, k) (heads one after another in scratch, 64-byte aligned);
// quantise_x fills rows [row_begin, row_end) of the (head, row) pairs, head-major.
size_t quant_head_bytes(int64_t m, int64_t k);
void quantise_x(const MatmulProblem& p, uint8_t* scratch, int64_t row_begin, int64_t row_end);
// y[0..m, j0..j1) of a one-head problem against that head's quantised x (act); K-quants included.
void quant_products(const MatmulProblem& p, const uint8_t* act, int64_t j0, int64_t j1);

// Weights that matmul_kquant_avx2.cpp reads in 256-value groups at any row count (no GEMM, no lanes;
// q4_K and iq4 only below four x rows): the K-quants' and iq4_xs's super-blocks, and q4_1/q5_0/q5_1/iq4_nl eight
// blocks at a time.
static inline bool reads_super_blocks(DType w) {
  return dtype_is_k_quant(w) || dtype_is_legacy_quant(w) || dtype_is_iq4(w);
}
// Those weights against the same quantised x: xq/xd/xoffset/xgroups are the head's q8_0 values, block
// scales, 8·block sums and sums of 16 values (q2_K, q3_K, q6_K only), rows k, k / 32 and k / 16 apart.
void k_quant_products(const MatmulProblem& p, const int8_t* xq, const float* xd, const int32_t* xoffset,
                      const int16_t* xgroups, int64_t j0, int64_t j1);

// w_kn problems of up to kKnDirectMaxRows x rows (not x_km) go through row-wise accumulation rather
// than the GEMM, whose packing pass costs more than the product at these sizes (V2-Lite's W_UK, 16
// heads of q4_0 [128, 512] from DRAM, 2 threads: m = 1 ~105 us against ~280 packed, m = 6 ~280
// against ~390, m = 8 ~410 against ~370). kn_rows_direct says whether p is one of them (FP8 also needs its scale
// blocks to cover whole 32-column runs).
constexpr int64_t kKnDirectMaxRows = 6;
bool kn_rows_direct(const MatmulProblem& p);
// y[0..m, j0..j1) of a one-head such problem; j0 a multiple of 32.
void kn_products(const MatmulProblem& p, int64_t j0, int64_t j1);

}  // namespace seek::kernels::avx2
