#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "core/quant.h"

namespace seek {

std::shared_ptr<void> aligned_alloc_shared(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  SEEK_CHECK(p != nullptr, "out of memory allocating " << bytes << " bytes");
  std::memset(p, 0, rounded == 0 ? 64 : rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

static void set_contiguous(DType dtype, int ndim, const int64_t* shape, int64_t* stride) {
  if (ndim == 0) return;
  int64_t s = static_cast<int64_t>(dtype_row_bytes(dtype, shape[ndim - 1]));
  stride[ndim - 1] = static_cast<int64_t>(dtype_block_bytes(dtype)) / dtype_block_size(dtype);
  if (dtype_is_quantized(dtype)) stride[ndim - 1] = 0;  // not addressable per element
  for (int i = ndim - 2; i >= 0; --i) {
    stride[i] = s;
    s *= shape[i];
  }
}

Tensor Tensor::empty(DType dtype, std::initializer_list<int64_t> shape) {
  return empty(dtype, std::vector<int64_t>(shape));
}

Tensor Tensor::empty(DType dtype, const std::vector<int64_t>& shape) {
  SEEK_ASSERT(shape.size() <= static_cast<size_t>(kMaxDims));
  Tensor t;
  t.dtype_ = dtype;
  t.ndim_ = static_cast<int>(shape.size());
  for (int i = 0; i < t.ndim_; ++i) {
    SEEK_ASSERT(shape[i] >= 0);
    t.shape_[i] = shape[i];
  }
  set_contiguous(dtype, t.ndim_, t.shape_, t.stride_);
  t.storage_ = aligned_alloc_shared(t.nbytes());
  t.data_ = t.storage_.get();
  return t;
}

Tensor Tensor::view_of(void* data, DType dtype, const std::vector<int64_t>& shape,
                       std::shared_ptr<void> keep_alive) {
  SEEK_ASSERT(shape.size() <= static_cast<size_t>(kMaxDims));
  Tensor t;
  t.dtype_ = dtype;
  t.ndim_ = static_cast<int>(shape.size());
  for (int i = 0; i < t.ndim_; ++i) t.shape_[i] = shape[i];
  set_contiguous(dtype, t.ndim_, t.shape_, t.stride_);
  t.data_ = data;
  t.storage_ = std::move(keep_alive);
  return t;
}

int64_t Tensor::dim(int i) const {
  if (i < 0) i += ndim_;
  SEEK_ASSERT(i >= 0 && i < ndim_);
  return shape_[i];
}

int64_t Tensor::stride_bytes(int i) const {
  if (i < 0) i += ndim_;
  SEEK_ASSERT(i >= 0 && i < ndim_);
  return stride_[i];
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= shape_[i];
  return n;
}

size_t Tensor::nbytes() const {
  if (ndim_ == 0) return dtype_block_bytes(dtype_);
  return dtype_row_bytes(dtype_, shape_[ndim_ - 1]) * static_cast<size_t>(numel() / std::max<int64_t>(shape_[ndim_ - 1], 1)) ;
}

bool Tensor::is_contiguous() const {
  int64_t expect[kMaxDims];
  set_contiguous(dtype_, ndim_, shape_, expect);
  for (int i = 0; i < ndim_; ++i)
    if (shape_[i] > 1 && stride_[i] != expect[i]) return false;
  return true;
}

const uint8_t* Tensor::row(int64_t row_idx) const {
  SEEK_DASSERT(ndim_ >= 1);
  if (ndim_ == 1) return static_cast<const uint8_t*>(data_);
  return static_cast<const uint8_t*>(data_) + row_idx * stride_[ndim_ - 2];
}

uint8_t* Tensor::row(int64_t row_idx) {
  return const_cast<uint8_t*>(static_cast<const Tensor*>(this)->row(row_idx));
}

Tensor Tensor::narrow(int d, int64_t start, int64_t length) const {
  if (d < 0) d += ndim_;
  SEEK_ASSERT(d >= 0 && d < ndim_);
  SEEK_ASSERT(start >= 0 && length >= 0 && start + length <= shape_[d]);
  Tensor t = *this;
  t.shape_[d] = length;
  if (d == ndim_ - 1) {
    const int bs = dtype_block_size(dtype_);
    SEEK_ASSERT(start % bs == 0 && length % bs == 0);
    t.data_ = static_cast<uint8_t*>(data_) + dtype_row_bytes(dtype_, start);
  } else {
    t.data_ = static_cast<uint8_t*>(data_) + start * stride_[d];
  }
  return t;
}

Tensor Tensor::select(int d, int64_t index) const {
  if (d < 0) d += ndim_;
  SEEK_ASSERT(d >= 0 && d < ndim_ - 0);
  SEEK_ASSERT(d != ndim_ - 1 || !dtype_is_quantized(dtype_));
  Tensor t = narrow(d, index, 1);
  for (int i = d; i + 1 < ndim_; ++i) {
    t.shape_[i] = t.shape_[i + 1];
    t.stride_[i] = t.stride_[i + 1];
  }
  t.ndim_ = ndim_ - 1;
  t.shape_[t.ndim_] = 0;
  t.stride_[t.ndim_] = 0;
  return t;
}

Tensor Tensor::reshape(const std::vector<int64_t>& shape) const {
  SEEK_ASSERT(is_contiguous());
  Tensor t = view_of(data_, dtype_, shape, storage_);
  SEEK_ASSERT_MSG(t.numel() == numel(), "reshape " << shape_string() << " -> " << seek::shape_string(shape));
  t.block_scales_ = block_scales_;
  return t;
}

// Visits every innermost row of a (possibly strided) tensor in order.
template <typename F>
static void for_each_row(const Tensor& t, F&& f) {
  const int nd = t.ndim();
  if (nd == 0) {
    f(static_cast<const uint8_t*>(t.data()));
    return;
  }
  int64_t outer = 1;
  for (int i = 0; i + 1 < nd; ++i) outer *= t.dim(i);
  for (int64_t r = 0; r < outer; ++r) {
    int64_t rem = r, off = 0;
    for (int i = nd - 2; i >= 0; --i) {
      off += (rem % t.dim(i)) * t.stride_bytes(i);
      rem /= t.dim(i);
    }
    f(static_cast<const uint8_t*>(t.data()) + off);
  }
}

Tensor Tensor::Copy() const {
  // The copy's values would lie at other addresses than the ones its scales are keyed by.
  SEEK_CHECK(block_scales_ == nullptr, "cannot copy a block-scaled FP8 tensor " << shape_string()
                                                                              << " as it is; widen it with to_f32()");
  Tensor out = empty(dtype_, shape());
  const size_t rb = ndim_ == 0 ? dtype_block_bytes(dtype_) : row_bytes();
  const int64_t elem_stride = ndim_ == 0 ? 0 : stride_[ndim_ - 1];
  const bool rows_contiguous = dtype_is_quantized(dtype_) || ndim_ == 0 ||
                               elem_stride == static_cast<int64_t>(dtype_block_bytes(dtype_));
  uint8_t* dst = static_cast<uint8_t*>(out.data());
  for_each_row(*this, [&](const uint8_t* src) {
    if (rows_contiguous) {
      std::memcpy(dst, src, rb);
    } else {
      const size_t eb = dtype_block_bytes(dtype_);
      for (int64_t j = 0; j < shape_[ndim_ - 1]; ++j) std::memcpy(dst + j * eb, src + j * elem_stride, eb);
    }
    dst += rb;
  });
  return out;
}

Tensor Tensor::to_f32() const {
  if (block_scales_ != nullptr) {  // FP8 with block scales: each value times its block's multiplier
    Tensor out = empty(DType::kF32, shape());
    float* dst = out.data_as<float>();
    const int64_t cols = ndim_ == 0 ? 1 : shape_[ndim_ - 1], step = ndim_ == 0 ? 0 : stride_[ndim_ - 1];
    for_each_row(*this, [&](const uint8_t* src) {
      if (step == 1) {  // a stored row (or part of one): widened, then scaled a block at a time
        dequantize_row(DType::kF8E4M3, src, dst, cols);
        block_scales_->apply(src, cols, dst);
        dst += cols;
        return;
      }
      for (int64_t j = 0; j < cols; ++j) *dst++ = f8e4m3_to_f32(src[j * step]) * block_scales_->at(src + j * step);
    });
    return out;
  }
  Tensor src = is_contiguous() ? *this : Copy();
  Tensor out = empty(DType::kF32, shape());
  dequantize_row(src.dtype(), src.data(), out.data_as<float>(), numel());
  return out;
}

std::string Tensor::shape_string() const { return seek::shape_string(shape()); }

Tensor Tensor::with_block_scales(std::shared_ptr<const BlockScales> scales) const {
  SEEK_CHECK(dtype_ == DType::kF8E4M3, "block scales belong to FP8 e4m3 weights, not " << dtype_name(dtype_));
  Tensor t = *this;
  t.block_scales_ = std::move(scales);
  return t;
}

Tensor fp8_with_block_scales(const Tensor& q, const Tensor& scale_inv, int64_t block_rows, int64_t block_cols,
                             const std::string& name) {
  SEEK_CHECK(q.ndim() == 2, name << ": FP8 weight must be 2-D, got " << q.shape_string());
  SEEK_CHECK(q.is_contiguous(), name << ": FP8 weight must be stored contiguously");
  SEEK_CHECK(block_rows > 0 && block_cols > 0, name << ": FP8 block size " << block_rows << "x" << block_cols);
  const int64_t rows = q.dim(0), cols = q.dim(1);
  const int64_t srows = (rows + block_rows - 1) / block_rows, scols = (cols + block_cols - 1) / block_cols;
  SEEK_CHECK(scale_inv.ndim() == 2 && scale_inv.dim(0) == srows && scale_inv.dim(1) == scols,
             name << ": weight_scale_inv has shape " << scale_inv.shape_string() << ", expected ["
                  << srows << ", " << scols << "] for " << q.shape_string() << " in " << block_rows << "x"
                  << block_cols << " blocks");
  // f32 scales are used where the file maps them; others are widened (a few KB per weight).
  auto scale = std::make_shared<Tensor>(scale_inv.dtype() == DType::kF32 && scale_inv.is_contiguous() ? scale_inv
                                                                                                      : scale_inv.to_f32());
  auto scales = std::make_shared<BlockScales>();
  scales->base = q.data_as<uint8_t>();
  scales->row_bytes = cols;
  scales->scale = scale->data_as<float>();
  scales->scale_cols = scols;
  scales->block_rows = block_rows;
  scales->block_cols = block_cols;
  scales->keep_alive = scale;
  return q.with_block_scales(std::move(scales));
}

}  // namespace seek
