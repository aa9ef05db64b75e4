#include "core/arena.h"

#include "core/error.h"

namespace seek {

Arena::Arena(size_t capacity_bytes) : storage_(aligned_alloc_shared(capacity_bytes)), capacity_(capacity_bytes) {}

void* Arena::allocate(size_t bytes) {
  const size_t rounded = (bytes + 63) / 64 * 64;
  SEEK_ASSERT_MSG(used_ + rounded <= capacity_,
                  "arena exhausted: " << used_ << " + " << rounded << " > " << capacity_ << " bytes");
  void* p = static_cast<uint8_t*>(storage_.get()) + used_;
  used_ += rounded;
  if (used_ > peak_) peak_ = used_;
  return p;
}

Tensor Arena::tensor(DType dtype, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  const int64_t inner = shape.empty() ? 1 : shape.back();
  const size_t bytes = shape.empty() ? dtype_block_bytes(dtype)
                                     : dtype_row_bytes(dtype, inner) * static_cast<size_t>(inner ? n / inner : 0);
  return Tensor::view_of(allocate(bytes), dtype, shape, storage_);
}

void Arena::release(size_t mark) {
  SEEK_ASSERT(mark <= used_);
  used_ = mark;
}

}  // namespace seek
