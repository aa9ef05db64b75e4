// The elementwise and row passes of a training step that are not matmuls: the backward passes of
// SwiGLU and RMSNorm, gradient accumulation, the global gradient norm and clipping, and AdamW.
//
// Same structure as kernels.h: a scalar twin in kernels/ref/grad_ref.cpp defines each op, the AVX2
// family (kernels/cpu/grad_avx2.cpp, also run on AVX-512 CPUs) is tested against it, and this API
// splits the work over ctx.pool. Operands are contiguous f32 arrays of n values, or rows of d.
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace seek::kernels {

// y[i] += x[i].
void add(const KernelContext& ctx, float* y, const float* x, int64_t n);
// y[i] = a[i] + b[i] (one pass where a copy and an add would be two).
void add(const KernelContext& ctx, float* y, const float* a, const float* b, int64_t n);
// x[i] *= s.
void scale(const KernelContext& ctx, float* x, float s, int64_t n);
// Σ x[i]², accumulated in f32 lanes and summed in double per thread (the gradient norm).
double sum_squares(const KernelContext& ctx, const float* x, int64_t n);

// Backward of out = silu(gate) · up, added into dgate and dup (either may be null):
//   dgate += dy · up · s · (1 + gate · (1 - s)),  dup += dy · silu(gate),  s = sigmoid(gate).
void swiglu_backward(const KernelContext& ctx, const float* gate, const float* up, const float* dy, float* dgate,
                     float* dup, int64_t n);

// Backward of y = w ⊙ x · r, r = 1 / sqrt(mean(x²) + eps), for `rows` rows of d values:
//   dx += r · w ⊙ dy - r³ · x · (Σ_j w_j dy_j x_j) / d      (dx may be null)
//   dw += Σ_rows dy ⊙ x · r                                  (dw may be null)
// Threads sum their rows' dw into partials in ctx.scratch (rmsnorm_backward_scratch_bytes).
void rmsnorm_backward(const KernelContext& ctx, const float* x, const float* w, const float* dy, float eps, float* dx,
                      float* dw, int64_t rows, int64_t d);
size_t rmsnorm_backward_scratch_bytes(const KernelContext& ctx, int64_t d);

// Backward of p = softmax(scale · s) for `rows` rows of n values (row r at p + r·ld, dp + r·ld):
//   dp = p ⊙ (dp - Σ_j p_j dp_j) · scale        (in place: dp holds dL/dp before, dL/ds after)
void softmax_backward(const KernelContext& ctx, const float* p, float* dp, int64_t rows, int64_t n, int64_t ld,
                      float scale);

// One AdamW update (decoupled weight decay, PyTorch's formula) of n parameters:
//   w *= keep;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²;
//   w -= step_size · m / (sqrt(v) · inv_sqrt_bc2 + eps)
struct AdamWUpdate {
  float keep = 1.0f;  // 1 - lr · weight_decay (1 without decay)
  float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  float step_size = 1e-3f;     // lr / (1 - b1^step)
  float inv_sqrt_bc2 = 1.0f;   // 1 / sqrt(1 - b2^step)
};
void adamw_update(const KernelContext& ctx, float* w, const float* g, float* m, float* v, int64_t n,
                  const AdamWUpdate& u);

}  // namespace seek::kernels
