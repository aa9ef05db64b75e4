// Scalar conversions between f32 rows and every storage dtype. These are the reference definitions
// (the kernels' fast paths are tested against them) and the tools used by writers and quantizers.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace seek {

// dst[0..n) = src row of n values stored as `dtype`. n must be a multiple of the block size.
// Integer dtypes are converted by value. Every DType is accepted.
void dequantize_row(DType dtype, const void* src, float* dst, int64_t n);

// dst = n values of src stored as `dtype` (any float or block-quantised type).
// q8_0 and q4_0 follow ggml's reference quantisers so files match llama.cpp's byte for byte:
//   q8_0: d = max|x| / 127, q = round(x / d)
//   q4_0: m = the value of largest magnitude (signed), d = m / -8, q = min(15, trunc(x / d + 8.5))
// The K-quants use seek's own fitting (core/quant_k.h).
void quantize_row(DType dtype, const float* src, void* dst, int64_t n);

// The value of largest magnitude in v[0..n), with its sign (0 when all are 0): where the symmetric
// quantisers (q6_K, q3_K, iq4_nl, iq4_xs) anchor their scales.
float signed_absmax(const float* v, int64_t n);

}  // namespace seek
