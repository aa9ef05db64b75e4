// Tensor: a typed, strided view of memory plus a handle that keeps the memory alive.
//
// Shapes are outermost-first (PyTorch / safetensors order): a weight [out, in] has shape {out, in}
// and rows of `in` values. Strides are in bytes per dimension so that views can address block types
// (q8_0/q4_0) whose innermost dimension is stored in blocks: for those, the innermost dimension must
// be contiguous and a whole number of blocks.
//
// Ownership: `storage` is shared. A tensor from Tensor::empty owns a 64-byte aligned heap buffer; a
// tensor from a model file points into an mmap and holds the mapping alive. Views share storage.
// Copies are always explicit (Copy()). Tensors are not synchronised: concurrent writers must touch
// disjoint elements.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/block_scales.h"
#include "core/dtype.h"

namespace seek {

constexpr int kMaxDims = 4;

class Tensor {
 public:
  Tensor() = default;

  // New zero-filled contiguous tensor.
  static Tensor empty(DType dtype, std::initializer_list<int64_t> shape);
  static Tensor empty(DType dtype, const std::vector<int64_t>& shape);
  // Non-owning-by-us view of external memory; `keep_alive` (may be null) is held for its lifetime.
  static Tensor view_of(void* data, DType dtype, const std::vector<int64_t>& shape,
                        std::shared_ptr<void> keep_alive);

  DType dtype() const { return dtype_; }
  int ndim() const { return ndim_; }
  int64_t dim(int i) const;  // negative i counts from the end
  std::vector<int64_t> shape() const { return std::vector<int64_t>(shape_, shape_ + ndim_); }
  int64_t stride_bytes(int i) const;
  int64_t numel() const;
  size_t nbytes() const;  // bytes of the elements (contiguous tensors only)
  bool is_contiguous() const;
  bool defined() const { return data_ != nullptr || numel() == 0; }

  void* data() { return data_; }
  const void* data() const { return data_; }
  template <typename T> T* data_as() { return static_cast<T*>(data_); }
  template <typename T> const T* data_as() const { return static_cast<const T*>(data_); }
  // Pointer to row `row_idx` of a 2-D (or flattened-to-2-D contiguous) tensor.
  const uint8_t* row(int64_t row_idx) const;
  uint8_t* row(int64_t row_idx);
  size_t row_bytes() const { return dtype_row_bytes(dtype_, shape_[ndim_ - 1]); }

  // Views (share storage).
  Tensor narrow(int dim, int64_t start, int64_t length) const;  // slice [start, start+length)
  Tensor select(int dim, int64_t index) const;                  // drop `dim`, taking one index
  Tensor reshape(const std::vector<int64_t>& shape) const;      // contiguous tensors only

  Tensor Copy() const;  // deep, contiguous copy (not of a block-scaled FP8 weight: use to_f32())
  // f32 copy of any float/quantised tensor (dequantised, FP8 block scales applied), contiguous.
  Tensor to_f32() const;
  // An FP8 e4m3 weight's block scales (core/block_scales.h), or null. Views keep them.
  const BlockScales* block_scales() const { return block_scales_.get(); }
  Tensor with_block_scales(std::shared_ptr<const BlockScales> scales) const;

  std::string shape_string() const;  // "[576, 2048]"

 private:
  DType dtype_ = DType::kF32;
  int ndim_ = 0;
  int64_t shape_[kMaxDims] = {0, 0, 0, 0};
  int64_t stride_[kMaxDims] = {0, 0, 0, 0};  // bytes
  void* data_ = nullptr;
  std::shared_ptr<void> storage_;
  std::shared_ptr<const BlockScales> block_scales_;
};

// q with its block scales attached: W[i][j] = float(q[i][j]) · scale_inv[i / block_rows][j / block_cols]
// (architecture.md 8.3), applied by the kernels and by to_f32(). Edge blocks may be partial (576 rows
// = 4.5 blocks). Errors name `name` when the scale shape is wrong.
Tensor fp8_with_block_scales(const Tensor& q, const Tensor& scale_inv, int64_t block_rows, int64_t block_cols,
                             const std::string& name);

std::string shape_string(const std::vector<int64_t>& shape);

// 64-byte aligned heap allocation released by the shared_ptr (for activations and scratch).
std::shared_ptr<void> aligned_alloc_shared(size_t bytes);

}  // namespace seek
