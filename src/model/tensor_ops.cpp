#include "model/tensor_ops.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/quant.h"

namespace seek::ops {

namespace {

// Calls f(row_pointer_of_a, row_pointer_of_b) over matching rows of two same-shaped f32 tensors.
template <typename F>
void zip_rows(const Tensor& a, const Tensor& b, F&& f) {
  SEEK_ASSERT_MSG(a.shape() == b.shape(), a.shape_string() << " vs " << b.shape_string());
  const int nd = a.ndim();
  const int64_t cols = a.dim(-1);
  const int64_t rows = cols ? a.numel() / cols : 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rem = r, oa = 0, ob = 0;
    for (int i = nd - 2; i >= 0; --i) {
      const int64_t idx = rem % a.dim(i);
      rem /= a.dim(i);
      oa += idx * a.stride_bytes(i);
      ob += idx * b.stride_bytes(i);
    }
    f(reinterpret_cast<float*>(static_cast<uint8_t*>(const_cast<void*>(a.data())) + oa),
      reinterpret_cast<const float*>(static_cast<const uint8_t*>(b.data()) + ob), cols);
  }
}

}  // namespace

void add_inplace(Tensor& y, const Tensor& x) {
  zip_rows(y, x, [](float* yr, const float* xr, int64_t n) {
    for (int64_t j = 0; j < n; ++j) yr[j] += xr[j];
  });
}

void add_bias(Tensor& y, const Tensor& bias) {
  const int64_t n = bias.numel();
  SEEK_ASSERT(y.is_contiguous() && y.numel() % n == 0);
  float* p = y.data_as<float>();
  const float* b = bias.data_as<float>();
  for (int64_t r = 0; r < y.numel() / n; ++r)
    for (int64_t j = 0; j < n; ++j) p[r * n + j] += b[j];
}

void copy_into(Tensor& dst, const Tensor& src) {
  zip_rows(dst, src, [](float* d, const float* s, int64_t n) { std::memcpy(d, s, static_cast<size_t>(n) * 4); });
}

void convert_into(Tensor& dst, const Tensor& src) {
  SEEK_ASSERT_MSG(dst.shape() == src.shape(), dst.shape_string() << " vs " << src.shape_string());
  SEEK_ASSERT_MSG(src.block_scales() == nullptr, "convert_into: block-scaled FP8 source (widen it with to_f32())");
  const int nd = dst.ndim();
  const int64_t cols = dst.dim(-1), n_rows = cols ? dst.numel() / cols : 0;
  float row[1024];
  for (int64_t r = 0; r < n_rows; ++r) {
    int64_t rem = r, od = 0, os = 0;
    for (int i = nd - 2; i >= 0; --i) {
      const int64_t idx = rem % dst.dim(i);
      rem /= dst.dim(i);
      od += idx * dst.stride_bytes(i);
      os += idx * src.stride_bytes(i);
    }
    uint8_t* d = static_cast<uint8_t*>(dst.data()) + od;
    const uint8_t* s = static_cast<const uint8_t*>(src.data()) + os;
    for (int64_t c0 = 0; c0 < cols; c0 += 1024) {  // in pieces, through a stack row
      const int64_t len = std::min<int64_t>(1024, cols - c0);
      dequantize_row(src.dtype(), s + c0 * static_cast<int64_t>(dtype_block_bytes(src.dtype())), row, len);
      quantize_row(dst.dtype(), row, d + c0 * static_cast<int64_t>(dtype_block_bytes(dst.dtype())), len);
    }
  }
}

void embedding_lookup(const Tensor& table, const int32_t* ids, int64_t n, Tensor& out) {
  const int64_t vocab = table.dim(0), d = table.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    SEEK_CHECK(ids[i] >= 0 && ids[i] < vocab, "token id " << ids[i] << " is outside the vocabulary (" << vocab << ")");
    float* row = reinterpret_cast<float*>(out.row(i));
    dequantize_row(table.dtype(), table.row(ids[i]), row, d);
    if (const BlockScales* s = table.block_scales()) s->apply(table.row(ids[i]), d, row);  // an FP8 table
  }
}

}  // namespace seek::ops
