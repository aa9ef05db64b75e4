// Helpers shared by the differentiable ops' implementations (not part of the op API).
#pragma once

#include <algorithm>

#include "core/error.h"
#include "kernels/kernels.h"
#include "train/tape.h"

namespace seek::train::detail {

inline float* f32(Tensor& x) { return x.data_as<float>(); }
inline const float* f32(const Tensor& x) { return x.data_as<float>(); }

// A new zero-filled [rows, cols] f32 tensor.
inline Tensor zeros(int64_t rows, int64_t cols) { return Tensor::empty(DType::kF32, {rows, cols}); }

// dst += src elementwise (same element count), split over the pool.
void accumulate(ThreadPool& pool, Tensor& dst, const Tensor& src);
// [rows, cols] -> [cols, rows], blocked for the cache, split over the pool.
Tensor transpose(ThreadPool& pool, const Tensor& x);
// y = x · wᵀ with the kernel context's scratch; checks the arena has room (our sizing, so an assert).
void matmul_into(const kernels::KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y);

}  // namespace seek::train::detail
