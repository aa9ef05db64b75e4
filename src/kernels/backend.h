// The seam between the public kernel API (kernels.cpp, matmul.cpp: validation, views, threading of
// row ops) and the implementation families (ref/, cpu/*_avx2.cpp, cpu/*_avx512.cpp).
//
// Each family exports two constant tables of plain function pointers. A null entry means "not
// implemented here": the dispatcher then tries the family below (avx512 -> avx2 -> ref). Families
// see raw pointers and byte strides only, never Tensor, so their translation units need nothing but
// this header and intrinsics.
//
// ODR: this header defines no functions. Files compiled with AVX-512 flags must keep their helpers
// in anonymous namespaces (or `static`) so that the linker can never pick a wide-instruction copy of
// a shared inline function for generic callers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "core/thread_pool.h"

namespace seek::kernels {

// y[m, n] = x[m, k] · w[n, k]ᵀ over raw memory. Strides are in bytes between consecutive rows.
struct MatmulProblem {
  const float* x = nullptr;  // [m, k] f32, rows x_stride bytes apart
  int64_t x_stride = 0;
  const uint8_t* w = nullptr;  // [n, k] in wtype, rows w_stride bytes apart
  int64_t w_stride = 0;
  DType wtype = DType::kF32;
  float* y = nullptr;  // [m, n] f32, rows y_stride bytes apart
  int64_t y_stride = 0;
  int64_t m = 0, n = 0, k = 0;
};

struct MatmulBackend {
  // Whether this family runs `wtype` on this CPU (e.g. q4_0 at avx512 needs VNNI).
  bool (*supports)(DType wtype);
  // Upper bound of scratch bytes run() needs for this problem size and thread count.
  size_t (*scratch_bytes)(int64_t m, int64_t k, DType wtype, int num_threads);
  // Computes the whole product, splitting work over `pool`. `scratch` is 64-byte aligned and holds
  // scratch_bytes(...) bytes.
  void (*run)(const MatmulProblem& problem, ThreadPool& pool, uint8_t* scratch);
};

// Row kernels: one contiguous row (or one token for rope); the dispatcher splits rows over threads.
struct RowBackend {
  void (*silu)(float* x, int64_t n);
  void (*swiglu)(const float* gate, const float* up, float* out, int64_t n);        // out may be gate
  void (*rmsnorm)(const float* x, const float* w, float eps, float* y, int64_t d);  // y may be x
  void (*softmax)(float* x, int64_t n, float scale);
  // Rotates one head in place. cos_sin holds [cos_0..cos_{f-1}, sin_0..sin_{f-1}] for this token,
  // already multiplied by attn_factor.
  void (*rope_interleaved)(float* x, const float* cos_sin, int64_t num_freqs);
  void (*rope_half)(float* x, const float* cos_sin, int64_t num_freqs);
  // The k largest of x[0..n) (value descending, ties to the lower index, NaN smallest).
  // values may be null.
  void (*topk)(const float* x, int64_t n, int k, int32_t* indices, float* values);
};

namespace ref {
extern const MatmulBackend kMatmul;
extern const RowBackend kRows;
}  // namespace ref
namespace avx2 {
extern const MatmulBackend kMatmul;
extern const RowBackend kRows;
}  // namespace avx2
namespace avx512 {
extern const MatmulBackend kMatmul;
extern const RowBackend kRows;
}  // namespace avx512

}  // namespace seek::kernels
