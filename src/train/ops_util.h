// Helpers shared by the differentiable ops' implementations (not part of the op API).
#pragma once

#include <algorithm>

#include "core/error.h"
#include "kernels/kernels.h"
#include "train/tape.h"

namespace seek::train::detail {

inline float* f32(Tensor& x) { return x.data_as<float>(); }
inline const float* f32(const Tensor& x) { return x.data_as<float>(); }

// dst += src elementwise (same element count), split over the pool.
void accumulate(const kernels::KernelContext& ctx, Tensor& dst, const Tensor& src);
// v's gradient += src (same element count); a gradient v does not have yet is just a copy of src.
void add_grad(Tape& t, Var v, const Tensor& src);
// y = x · wᵀ with the kernel context's scratch; checks the arena has room (our sizing, so an assert).
void matmul_into(const kernels::KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y);
// y (+)= x · w with w stored [k, n] (kernels::matmul_nn), same scratch check.
void matmul_nn_into(const kernels::KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y,
                    bool accumulate = false);
// y (+)= xᵀ · w with x stored [k, m] (kernels::matmul_tn).
void matmul_tn_into(const kernels::KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y,
                    bool accumulate = false);

}  // namespace seek::train::detail
