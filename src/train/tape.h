// Tape: reverse-mode automatic differentiation over seek's tensors and kernels.
//
// Training runs the model's math as a sequence of ops (train/ops.h). Each op computes its output
// with the same kernels inference uses, stores the output on the tape as a Var, and records a
// closure that, given the output's gradient, adds the inputs' gradients. backward() replays the
// closures in reverse order. There is no graph object: the order of recording is the topological
// order, because an op can only consume Vars that already exist.
//
// Gradients: a parameter's gradient accumulates into a tensor the caller owns (so several backward
// passes sum, which is gradient accumulation). Other Vars get a zero gradient on first use. Vars
// that no parameter depends on (token ids, constants) carry no gradient and their ops record nothing.
//
// Memory: values and gradients are heap tensors freed by clear(); a training step allocates, the
// token loop of inference never runs here. Not thread-safe; ops use the kernel context's pool.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/arena.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace seek::train {

// Memory for a tape's values and gradients: chunks handed out by bumping a pointer and reused by
// every step after reset(), so a training step does not go back to the system allocator (page
// faults and zero-filling of fresh pages cost as much as the small matmuls).
class TapeMemory {
 public:
  explicit TapeMemory(size_t chunk_bytes = size_t{64} << 20) : chunk_bytes_(chunk_bytes) {}
  Tensor alloc(const std::vector<int64_t>& shape, bool zero);
  void reset();  // everything handed out is free again (tensors still viewing it must be dead)
  // Temporaries of one backward step: release(mark()) frees what was allocated in between.
  struct Mark {
    size_t chunk = 0, used = 0;
  };
  Mark mark() const { return chunks_.empty() ? Mark{} : Mark{current_, chunks_[current_].used}; }
  void release(const Mark& m);
  size_t capacity() const;

 private:
  struct Chunk {
    std::shared_ptr<void> data;
    size_t size = 0, used = 0;
  };
  size_t chunk_bytes_;
  std::vector<Chunk> chunks_;
  size_t current_ = 0;
};

// One-thread kernel contexts, one per thread of a pool, each with its own scratch: for ops that give
// each pool thread whole products of its own (a job may not call back into its pool), e.g.
// attention's per-head products in the backward pass.
class ThreadContexts {
 public:
  ThreadContexts(int num_threads, KernelLevel level, size_t scratch_bytes);
  const kernels::KernelContext& at(int thread) const { return contexts_[static_cast<size_t>(thread)]; }
  int size() const { return static_cast<int>(contexts_.size()); }
  size_t scratch_bytes() const { return scratch_bytes_; }

 private:
  size_t scratch_bytes_;
  std::vector<std::unique_ptr<ThreadPool>> pools_;
  std::vector<std::unique_ptr<Arena>> arenas_;
  std::vector<kernels::KernelContext> contexts_;
};

// Wall time per kind of op (named after the op function that recorded it), for `seek bench train
// --profile`. Forward time is the time since the previous op finished, so work done between ops
// (e.g. choosing experts) counts towards the op that follows it.
struct OpProfile {
  struct Times {
    double forward_s = 0, backward_s = 0;
    int64_t calls = 0;
  };
  std::map<std::string, Times> ops;
};

// A handle to a value on a tape.
struct Var {
  int32_t id = -1;
  bool valid() const { return id >= 0; }
};

class Tape {
 public:
  // memory: where values and gradients live (null: fresh heap tensors).
  // threads: one-thread contexts for the pool's threads (null: made when an op first needs them).
  explicit Tape(const kernels::KernelContext& ctx, TapeMemory* memory = nullptr, ThreadContexts* threads = nullptr)
      : ctx_(ctx), memory_(memory), threads_(threads) {}

  // A new f32 tensor for an op (zero-filled when asked), and a contiguous copy of x.
  Tensor alloc(const std::vector<int64_t>& shape, bool zero = true);
  Tensor zeros(int64_t rows, int64_t cols) { return alloc({rows, cols}, true); }
  Tensor copy(const Tensor& x);
  // Scoped temporaries (no-ops without TapeMemory). Gradients an op accumulates into must be
  // obtained (grad()) before the mark, or the release would free them.
  TapeMemory::Mark mark() const { return memory_ != nullptr ? memory_->mark() : TapeMemory::Mark{}; }
  void release(const TapeMemory::Mark& m) {
    if (memory_ != nullptr) memory_->release(m);
  }

  // A leaf the loss is differentiated with respect to; its gradient accumulates into *grad (same
  // shape as value, f32). A null grad makes the leaf a constant.
  Var parameter(const Tensor& value, Tensor* grad);
  Var constant(const Tensor& value) { return parameter(value, nullptr); }
  // An op's output. It needs a gradient when any of the op's inputs does. `op` names the op for
  // profiling (by default the function that calls output()).
  Var output(Tensor value, bool needs_grad, const char* op = __builtin_FUNCTION());

  const Tensor& value(Var v) const { return node(v).value; }
  // A lower-precision copy of a parameter (bf16 weights, f32 master in value()) that forward
  // matmuls read instead; gradients still flow to the f32 value. Undefined when none.
  void set_compute_copy(Var v, const Tensor& copy) { node(v).compute = copy; }
  const Tensor& compute_value(Var v) const { return node(v).compute.defined() && node(v).compute.numel() > 0 ? node(v).compute : node(v).value; }
  bool needs_grad(Var v) const { return node(v).needs_grad; }
  bool needs_grad(std::initializer_list<Var> vars) const;
  // The gradient of v, allocated as zeros on first use (a parameter's: the caller's tensor).
  Tensor& grad(Var v);
  // The same, except that a gradient that does not exist yet is allocated without zero-filling and
  // *fresh says so: the caller must then write every element instead of adding to it (saves a
  // memset and a read per op output, most of which receive exactly one gradient).
  Tensor& grad_for_write(Var v, bool* fresh);
  // Whether any gradient has reached v during backward (ops skip inputs whose output got none).
  bool has_grad(Var v) const { return node(v).grad.defined() && node(v).grad.numel() > 0; }

  // Records the backward step of the op that produced the latest outputs.
  void on_backward(std::function<void()> fn, const char* op = __builtin_FUNCTION()) {
    backward_.push_back(std::move(fn));
    backward_ops_.push_back(op);
  }
  // Times every op from now on into *profile (null: stop).
  void set_profile(OpProfile* profile);

  // Seeds d(loss)/d(loss) = scale (loss: one value) and runs every recorded step in reverse.
  void backward(Var loss, float scale = 1.0f);
  // Same from any output: seeds its gradient with out_grad (same shape) and runs every step.
  void backward(Var out, const Tensor& out_grad);
  // Drops every Var and recorded step (parameters' gradients are kept: they belong to the caller).
  void clear();

  const kernels::KernelContext& ctx() const { return ctx_; }
  ThreadPool& pool() const { return *ctx_.pool; }
  // One-thread contexts for each of pool()'s threads with at least scratch_bytes of scratch each.
  const ThreadContexts& thread_contexts(size_t scratch_bytes);
  size_t num_vars() const { return nodes_.size(); }

 private:
  struct Node {
    Tensor value;
    Tensor compute;
    Tensor grad;
    Tensor* external_grad = nullptr;
    bool needs_grad = false;
  };
  void run_backward();
  const Node& node(Var v) const;
  Node& node(Var v);

  kernels::KernelContext ctx_;
  TapeMemory* memory_ = nullptr;
  ThreadContexts* threads_ = nullptr;
  std::unique_ptr<ThreadContexts> owned_threads_;
  std::vector<Node> nodes_;
  std::vector<std::function<void()>> backward_;
  std::vector<const char*> backward_ops_;
  OpProfile* profile_ = nullptr;
  double last_op_end_ = 0;
};

}  // namespace seek::train
