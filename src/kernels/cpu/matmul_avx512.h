// The pieces of the AVX-512 matmul, shared between its translation units (declarations only).
//
//   matmul_avx512.cpp       the backend: picks decode (GEMV) or prefill (GEMM), threads, scratch
//   matmul_gemv_avx512.cpp  decode: streams each weight row once, all x rows at a time
//   matmul_gemm_avx512.cpp  prefill: packs weight panels, register-tiled micro-kernels
//
// Threads split the weight rows (n); every function below handles [n_begin, n_end) for all m rows.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/backend.h"

namespace seek::kernels::avx512 {

// Largest m the decode kernels are built for; the backend's use_gemv() picks the actual crossover to
// the packed GEMM per weight type (at most this).
constexpr int64_t kGemvMaxRows = 8;
// From this many x rows the quantised GEMV shares each VPDPBUSD among 4 weight rows (see the .cpp).
constexpr int64_t kGemvQuantMultiMinRows = 5;

// ---- decode (matmul_gemv_avx512.cpp) ----
void gemv_float(const MatmulProblem& p, int64_t n_begin, int64_t n_end);
// Quantised weights: x rows are first quantised to q8_0 into `act`, laid out to match the weight
// lanes of the kernel (see the .cpp), then integer dot products with VNNI. gemv_quant_act_bytes()
// grows with m faster than the GEMM's activations do.
size_t gemv_quant_act_bytes(int64_t m, int64_t k);
void gemv_quant_prepare(const MatmulProblem& p, int64_t row_begin, int64_t row_end, uint8_t* act);
void gemv_quant(const MatmulProblem& p, const uint8_t* act, int64_t n_begin, int64_t n_end);

// ---- prefill (matmul_gemm_avx512.cpp) ----
// How activations are prepared for the GEMM micro-kernel of a weight type.
enum class GemmKind {
  kF32,      // f32/f16/bf16 weights widened to f32 panels; x used in place
  kBf16Dot,  // bf16 weights, x rounded to bf16, VDPBF16PS
  kInt8,     // q8_0/q4_0 weights, x quantised to q8_0, VPDPBUSD
};
GemmKind gemm_kind(DType wtype, bool bf16_dot);  // bf16_dot: use VDPBF16PS for bf16 weights
constexpr int64_t kGemmPanelRows = 32;           // weight rows per packed panel (threads split in these)
size_t gemm_act_bytes(GemmKind kind, int64_t m, int64_t k);
size_t gemm_thread_bytes();  // per-thread packing buffer
void gemm_prepare(GemmKind kind, const MatmulProblem& p, int64_t row_begin, int64_t row_end, uint8_t* act);
void gemm(GemmKind kind, const MatmulProblem& p, const uint8_t* act, int64_t n_begin, int64_t n_end,
          uint8_t* thread_scratch);

}  // namespace seek::kernels::avx512
