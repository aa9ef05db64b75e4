// Small elementwise helpers the model composes between kernel calls: residual adds, biases, row
// gathers. They are memory-trivial next to the matmuls, so they stay plain loops over f32 rows.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace seek::ops {

// The first n rows of a 2-D or 3-D buffer (a view, no copy).
inline Tensor rows(const Tensor& t, int64_t n) { return t.narrow(0, 0, n); }

void add_inplace(Tensor& y, const Tensor& x);              // y += x, same shape, f32
void add_bias(Tensor& y, const Tensor& bias);               // y[i, :] += bias, y viewed as [rows, bias.numel()]
void copy_into(Tensor& dst, const Tensor& src);             // dst = src, same shape, f32, strided ok
// dst (f32 or bf16) = src (f32 or bf16), same shape, strided rows ok: converts as it copies.
void convert_into(Tensor& dst, const Tensor& src);
// out[i, :] = table[ids[i], :] as f32 (any stored dtype); errors name the id when out of range.
void embedding_lookup(const Tensor& table, const int32_t* ids, int64_t n, Tensor& out);

}  // namespace seek::ops
