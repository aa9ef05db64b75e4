#include "train/tape.h"

#include <algorithm>
#include <cstring>

#include "core/clock.h"
#include "core/error.h"

namespace seek::train {

Tensor TapeMemory::alloc(const std::vector<int64_t>& shape, bool zero) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
  while (current_ < chunks_.size() && chunks_[current_].size - chunks_[current_].used < bytes) ++current_;
  if (current_ == chunks_.size()) {
    const size_t size = std::max(chunk_bytes_, bytes);
    chunks_.push_back(Chunk{aligned_alloc_shared(size), size, 0});
  }
  Chunk& c = chunks_[current_];
  void* p = static_cast<uint8_t*>(c.data.get()) + c.used;
  c.used += bytes;
  if (zero) std::memset(p, 0, static_cast<size_t>(n) * sizeof(float));
  return Tensor::view_of(p, DType::kF32, shape, c.data);
}

void TapeMemory::reset() {
  for (Chunk& c : chunks_) c.used = 0;
  current_ = 0;
}

void TapeMemory::release(const Mark& m) {
  if (chunks_.empty()) return;
  for (size_t i = m.chunk + 1; i < chunks_.size(); ++i) chunks_[i].used = 0;
  current_ = m.chunk;
  chunks_[current_].used = m.used;
}

size_t TapeMemory::capacity() const {
  size_t total = 0;
  for (const Chunk& c : chunks_) total += c.size;
  return total;
}

ThreadContexts::ThreadContexts(int num_threads, KernelLevel level, size_t scratch_bytes) : scratch_bytes_(scratch_bytes) {
  for (int t = 0; t < num_threads; ++t) {
    pools_.push_back(std::make_unique<ThreadPool>(1));
    arenas_.push_back(std::make_unique<Arena>(scratch_bytes));
    contexts_.push_back(kernels::KernelContext{pools_.back().get(), arenas_.back().get(), level});
  }
}

const ThreadContexts& Tape::thread_contexts(size_t scratch_bytes) {
  if (threads_ != nullptr && threads_->size() == pool().num_threads() && threads_->scratch_bytes() >= scratch_bytes)
    return *threads_;
  if (owned_threads_ == nullptr || owned_threads_->scratch_bytes() < scratch_bytes)
    owned_threads_ = std::make_unique<ThreadContexts>(pool().num_threads(), ctx_.level, scratch_bytes);
  return *owned_threads_;
}

Tensor Tape::alloc(const std::vector<int64_t>& shape, bool zero) {
  return memory_ != nullptr ? memory_->alloc(shape, zero) : Tensor::empty(DType::kF32, shape);
}

Tensor Tape::copy(const Tensor& x) {
  SEEK_ASSERT(x.dtype() == DType::kF32);
  Tensor y = alloc(x.shape(), false);
  const int64_t cols = x.dim(-1), rows = x.numel() / std::max<int64_t>(cols, 1);
  if (x.is_contiguous()) {  // in parallel: copies of logits are megabytes
    const float* src = x.data_as<float>();
    float* dst = y.data_as<float>();
    pool().parallel_for(x.numel(), [&](int64_t b, int64_t e) { std::memcpy(dst + b, src + b, static_cast<size_t>(e - b) * sizeof(float)); }, 1 << 14);
  } else {
    SEEK_ASSERT(x.ndim() == 2);
    for (int64_t r = 0; r < rows; ++r) std::memcpy(y.data_as<float>() + r * cols, x.row(r), static_cast<size_t>(cols) * sizeof(float));
  }
  return y;
}

Var Tape::parameter(const Tensor& value, Tensor* grad) {
  SEEK_CHECK(value.dtype() == DType::kF32 && value.is_contiguous(), "tape: values must be contiguous f32 (got "
                                                                         << dtype_name(value.dtype()) << ")");
  if (grad != nullptr)
    SEEK_CHECK(grad->shape() == value.shape() && grad->dtype() == DType::kF32,
               "tape: a parameter's gradient must be f32 " << value.shape_string());
  nodes_.push_back(Node{value, Tensor(), Tensor(), grad, grad != nullptr});
  return Var{static_cast<int32_t>(nodes_.size() - 1)};
}

void Tape::set_profile(OpProfile* profile) {
  profile_ = profile;
  last_op_end_ = monotonic_seconds();
}

Var Tape::output(Tensor value, bool needs_grad, const char* op) {
  SEEK_ASSERT(value.dtype() == DType::kF32 && value.is_contiguous());
  if (profile_ != nullptr) {
    const double now = monotonic_seconds();
    OpProfile::Times& times = profile_->ops[op];
    times.forward_s += now - last_op_end_;
    ++times.calls;
    last_op_end_ = now;
  }
  nodes_.push_back(Node{std::move(value), Tensor(), Tensor(), nullptr, needs_grad});
  return Var{static_cast<int32_t>(nodes_.size() - 1)};
}

bool Tape::needs_grad(std::initializer_list<Var> vars) const {
  for (Var v : vars)
    if (v.valid() && node(v).needs_grad) return true;
  return false;
}

const Tape::Node& Tape::node(Var v) const {
  SEEK_ASSERT(v.id >= 0 && static_cast<size_t>(v.id) < nodes_.size());
  return nodes_[static_cast<size_t>(v.id)];
}

Tape::Node& Tape::node(Var v) {
  SEEK_ASSERT(v.id >= 0 && static_cast<size_t>(v.id) < nodes_.size());
  return nodes_[static_cast<size_t>(v.id)];
}

Tensor& Tape::grad(Var v) {
  Node& n = node(v);
  SEEK_ASSERT(n.needs_grad);
  if (n.external_grad != nullptr) {
    if (!n.grad.defined() || n.grad.numel() == 0) n.grad = *n.external_grad;  // same storage
    return n.grad;
  }
  if (!n.grad.defined() || n.grad.numel() == 0) n.grad = alloc(n.value.shape(), true);
  return n.grad;
}

Tensor& Tape::grad_for_write(Var v, bool* fresh) {
  Node& n = node(v);
  *fresh = n.external_grad == nullptr && (!n.grad.defined() || n.grad.numel() == 0);
  if (*fresh) {
    SEEK_ASSERT(n.needs_grad);
    n.grad = alloc(n.value.shape(), false);
    return n.grad;
  }
  return grad(v);
}

void Tape::backward(Var loss, float scale) {
  SEEK_CHECK(value(loss).numel() == 1, "backward: the loss must be one value, got " << value(loss).shape_string());
  if (!needs_grad(loss)) return;
  grad(loss).data_as<float>()[0] += scale;
  run_backward();
}

void Tape::run_backward() {
  if (profile_ == nullptr) {
    for (size_t i = backward_.size(); i-- > 0;) backward_[i]();
    return;
  }
  for (size_t i = backward_.size(); i-- > 0;) {
    const double t0 = monotonic_seconds();
    backward_[i]();
    profile_->ops[backward_ops_[i]].backward_s += monotonic_seconds() - t0;
  }
}

void Tape::backward(Var out, const Tensor& out_grad) {
  SEEK_CHECK(out_grad.shape() == value(out).shape(), "backward: gradient " << out_grad.shape_string() << " for a value "
                                                                           << value(out).shape_string());
  if (!needs_grad(out)) return;
  Tensor& g = grad(out);
  for (int64_t i = 0; i < g.numel(); ++i) g.data_as<float>()[i] += out_grad.data_as<float>()[i];
  run_backward();
}

void Tape::clear() {
  nodes_.clear();
  backward_.clear();
  backward_ops_.clear();
}

}  // namespace seek::train
