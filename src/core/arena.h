// Arena: one block of scratch memory sized at start-up, handed out by bumping a pointer.
//
// Used for activations and temporaries so nothing is allocated in the token loop: allocate() never
// calls malloc; running out is a SEEK_ASSERT (the sizes are computed up front, so it is our bug).
// reset() releases everything at once; mark()/release() free back to a saved point (stack discipline).
// Not thread-safe: one arena per owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor.h"

namespace seek {

class Arena {
 public:
  explicit Arena(size_t capacity_bytes);

  void* allocate(size_t bytes);  // 64-byte aligned
  template <typename T> T* allocate_array(size_t n) { return static_cast<T*>(allocate(n * sizeof(T))); }
  // A contiguous tensor in arena memory (contents undefined). Valid until reset/release past it.
  Tensor tensor(DType dtype, const std::vector<int64_t>& shape);

  size_t mark() const { return used_; }
  void release(size_t mark);
  void reset() { used_ = 0; }

  size_t used() const { return used_; }
  size_t capacity() const { return capacity_; }
  size_t peak() const { return peak_; }

 private:
  std::shared_ptr<void> storage_;
  size_t capacity_;
  size_t used_ = 0;
  size_t peak_ = 0;
};

}  // namespace seek
