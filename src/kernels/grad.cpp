// Dispatch and threading of the training passes (kernels/grad.h).
#include "kernels/grad.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "kernels/backend.h"

namespace seek::kernels {
namespace {

// Below this many values a pass runs on the calling thread (waking the pool costs more).
constexpr int64_t kMinParallel = 1 << 14;

// AVX-512 CPUs run the AVX2 family: these passes are bound by memory, not vector width.
const GradBackend& grad_backend(KernelLevel level) { return level == KernelLevel::kScalar ? ref::kGrad : avx2::kGrad; }

// fn(begin, end) over [0, n) in cache-line multiples, on the pool when n is large enough.
template <typename F>
void split(const KernelContext& ctx, int64_t n, F&& fn) {
  SEEK_ASSERT(ctx.pool != nullptr);
  if (n < kMinParallel || ctx.pool->num_threads() == 1) {
    if (n > 0) fn(int64_t{0}, n);
    return;
  }
  ctx.pool->parallel_for(n, fn, 16);
}

}  // namespace

void add(const KernelContext& ctx, float* y, const float* x, int64_t n) {
  const auto fn = grad_backend(ctx.level).add;
  split(ctx, n, [&](int64_t b, int64_t e) { fn(y + b, y + b, x + b, e - b); });
}

void add(const KernelContext& ctx, float* y, const float* a, const float* b, int64_t n) {
  const auto fn = grad_backend(ctx.level).add;
  split(ctx, n, [&](int64_t s, int64_t e) { fn(y + s, a + s, b + s, e - s); });
}

void scale(const KernelContext& ctx, float* x, float s, int64_t n) {
  const auto fn = grad_backend(ctx.level).scale;
  split(ctx, n, [&](int64_t b, int64_t e) { fn(x + b, s, e - b); });
}

double sum_squares(const KernelContext& ctx, const float* x, int64_t n) {
  const auto fn = grad_backend(ctx.level).sum_squares;
  double parts[64] = {};
  const int nt = std::min(ctx.pool->num_threads(), 64);
  if (n < kMinParallel || nt == 1) return n > 0 ? fn(x, n) : 0.0;
  ctx.pool->run([&](int t) {
    if (t >= nt) return;
    const Range r = thread_range(n, t, nt, 16);
    if (r.begin < r.end) parts[t] = fn(x + r.begin, r.end - r.begin);
  });
  double total = 0.0;
  for (int t = 0; t < nt; ++t) total += parts[t];  // fixed order: the same sum on every run
  return total;
}

void swiglu_backward(const KernelContext& ctx, const float* gate, const float* up, const float* dy, float* dgate,
                     float* dup, int64_t n) {
  const auto fn = grad_backend(ctx.level).swiglu_backward;
  split(ctx, n, [&](int64_t b, int64_t e) {
    fn(gate + b, up + b, dy + b, dgate != nullptr ? dgate + b : nullptr, dup != nullptr ? dup + b : nullptr, e - b);
  });
}

size_t rmsnorm_backward_scratch_bytes(const KernelContext& ctx, int64_t d) {
  return static_cast<size_t>(ctx.pool->num_threads()) * static_cast<size_t>(d) * sizeof(float) + 64;
}

void rmsnorm_backward(const KernelContext& ctx, const float* x, const float* w, const float* dy, float eps, float* dx,
                      float* dw, int64_t rows, int64_t d) {
  const auto fn = grad_backend(ctx.level).rmsnorm_backward;
  const int nt = rows * d < kMinParallel ? 1 : ctx.pool->num_threads();
  if (nt == 1 || dw == nullptr) {
    auto body = [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) fn(x + r * d, w, dy + r * d, eps, dx != nullptr ? dx + r * d : nullptr, dw, d);
    };
    nt == 1 ? body(0, rows) : ctx.pool->parallel_for(rows, body);
    return;
  }
  // Each thread adds its rows' dw into a zeroed partial; the partials are then added in thread order.
  SEEK_ASSERT_MSG(ctx.scratch != nullptr, "rmsnorm_backward needs scratch for its dw partials");
  const size_t mark = ctx.scratch->mark();
  float* parts = ctx.scratch->allocate_array<float>(static_cast<size_t>(nt * d));
  std::fill(parts, parts + nt * d, 0.0f);
  ctx.pool->run([&](int t) {
    const Range range = thread_range(rows, t, nt, 1);
    for (int64_t r = range.begin; r < range.end; ++r)
      fn(x + r * d, w, dy + r * d, eps, dx != nullptr ? dx + r * d : nullptr, parts + t * d, d);
  });
  const auto add_fn = grad_backend(ctx.level).add;
  for (int t = 0; t < nt; ++t) add_fn(dw, dw, parts + t * d, d);
  ctx.scratch->release(mark);
}

void softmax_backward(const KernelContext& ctx, const float* p, float* dp, int64_t rows, int64_t n, int64_t ld,
                      float scale) {
  const auto fn = grad_backend(ctx.level).softmax_backward;
  auto body = [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) fn(p + r * ld, dp + r * ld, scale, n);
  };
  if (rows * n < kMinParallel || ctx.pool->num_threads() == 1) return body(0, rows);
  ctx.pool->parallel_for(rows, body);
}

void adamw_update(const KernelContext& ctx, float* w, const float* g, float* m, float* v, int64_t n,
                  const AdamWUpdate& u) {
  const auto fn = grad_backend(ctx.level).adamw;
  split(ctx, n, [&](int64_t b, int64_t e) { fn(w + b, g + b, m + b, v + b, e - b, u); });
}

}  // namespace seek::kernels
