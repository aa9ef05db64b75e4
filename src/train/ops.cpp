// Dense differentiable ops: matmul, residual add and bias, RMSNorm, SwiGLU, embedding, RoPE and
// the column/row reshuffles MLA needs. Forward passes call the inference kernels; backward passes
// are the textbook derivatives, written out once here.
#include "train/ops.h"

#include <cmath>
#include <cstring>

#include "kernels/grad.h"
#include "train/ops_util.h"

namespace seek::train {

using detail::f32;

namespace detail {

void accumulate(const kernels::KernelContext& ctx, Tensor& dst, const Tensor& src) {
  SEEK_ASSERT(dst.numel() == src.numel());
  kernels::add(ctx, f32(dst), f32(src), dst.numel());
}

void add_grad(Tape& t, Var v, const Tensor& src) {
  bool fresh = false;
  Tensor& g = t.grad_for_write(v, &fresh);
  SEEK_ASSERT(g.numel() == src.numel());
  if (fresh) {
    std::memcpy(g.data(), src.data(), static_cast<size_t>(src.numel()) * sizeof(float));
  } else {
    kernels::add(t.ctx(), f32(g), f32(src), g.numel());
  }
}

void matmul_into(const kernels::KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y) {
  const size_t need = kernels::matmul_scratch_bytes(ctx, x.dim(0), x.dim(1), w.dtype());
  SEEK_ASSERT(ctx.scratch == nullptr ? need == 0 : ctx.scratch->capacity() - ctx.scratch->used() >= need);
  kernels::matmul(ctx, x, w, y);
}

void matmul_nn_into(const kernels::KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y, bool accumulate) {
  const size_t need = kernels::matmul_nn_scratch_bytes(ctx, x.dim(0), x.dim(1));
  SEEK_ASSERT(ctx.scratch == nullptr ? need == 0 : ctx.scratch->capacity() - ctx.scratch->used() >= need);
  kernels::matmul_nn(ctx, x, w, y, accumulate);
}

void matmul_tn_into(const kernels::KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y, bool accumulate) {
  const size_t need = kernels::matmul_nn_scratch_bytes(ctx, x.dim(1), x.dim(0));
  SEEK_ASSERT(ctx.scratch == nullptr ? need == 0 : ctx.scratch->capacity() - ctx.scratch->used() >= need);
  kernels::matmul_tn(ctx, x, w, y, accumulate);
}

}  // namespace detail

Var matmul(Tape& t, Var x, Var w) {
  const Tensor& xv = t.value(x);
  const Tensor& wv = t.value(w);
  SEEK_CHECK(xv.ndim() == 2 && wv.ndim() == 2 && xv.dim(1) == wv.dim(1),
             "matmul: x " << xv.shape_string() << " and w " << wv.shape_string() << " do not fit");
  Tensor y = t.alloc({xv.dim(0), wv.dim(0)}, false);
  detail::matmul_into(t.ctx(), xv, t.compute_value(w), y);  // bf16 weights when the model trains in bf16
  Var out = t.output(std::move(y), t.needs_grad({x, w}));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, x, w, out] {
    if (!t.has_grad(out)) return;
    const Tensor& dy = t.grad(out);
    if (t.needs_grad(x)) {  // dx (+)= dy · w, written straight into the gradient by the GEMM
      bool fresh = false;
      Tensor& gx = t.grad_for_write(x, &fresh);
      detail::matmul_nn_into(t.ctx(), dy, t.value(w), gx, !fresh);
    }
    if (t.needs_grad(w)) {  // dw += dyᵀ · x
      bool fresh = false;
      Tensor& gw = t.grad_for_write(w, &fresh);
      detail::matmul_tn_into(t.ctx(), dy, t.value(x), gw, !fresh);
    }
  });
  return out;
}

Var add(Tape& t, Var a, Var b) {
  const Tensor& av = t.value(a);
  SEEK_CHECK(av.shape() == t.value(b).shape(), "add: shapes " << av.shape_string() << " and "
                                                              << t.value(b).shape_string() << " differ");
  Tensor y;
  if (av.is_contiguous()) {  // one pass, y = a + b
    y = t.alloc(av.shape(), false);
    kernels::add(t.ctx(), f32(y), f32(av), f32(t.value(b)), y.numel());
  } else {
    y = t.copy(av);
    detail::accumulate(t.ctx(), y, t.value(b));
  }
  Var out = t.output(std::move(y), t.needs_grad({a, b}));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, a, b, out] {
    if (!t.has_grad(out)) return;
    if (t.needs_grad(a)) detail::add_grad(t, a, t.grad(out));
    if (t.needs_grad(b)) detail::add_grad(t, b, t.grad(out));
  });
  return out;
}

Var add_bias(Tape& t, Var x, Var bias) {
  const Tensor& xv = t.value(x);
  const int64_t rows = xv.dim(0), cols = xv.dim(1);
  SEEK_CHECK(t.value(bias).numel() == cols, "add_bias: bias of " << t.value(bias).numel() << " for rows of " << cols);
  Tensor y = t.copy(xv);
  const float* b = f32(t.value(bias));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) f32(y)[i * cols + j] += b[j];
  Var out = t.output(std::move(y), t.needs_grad({x, bias}));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, x, bias, out, rows, cols] {
    if (!t.has_grad(out)) return;
    const float* dy = f32(t.grad(out));
    if (t.needs_grad(x)) detail::add_grad(t, x, t.grad(out));
    if (t.needs_grad(bias)) {
      float* db = f32(t.grad(bias));
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) db[j] += dy[i * cols + j];
    }
  });
  return out;
}

Var rmsnorm(Tape& t, Var x, Var w, float eps) {
  const Tensor& xv = t.value(x);
  const int64_t rows = xv.dim(0), d = xv.dim(1);
  SEEK_CHECK(t.value(w).numel() == d, "rmsnorm: weight of " << t.value(w).numel() << " for rows of " << d);
  Tensor y = t.alloc({rows, d}, false);
  kernels::rmsnorm(t.ctx(), xv, t.value(w), eps, y);
  Var out = t.output(std::move(y), t.needs_grad({x, w}));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, x, w, out, rows, d, eps] {
    if (!t.has_grad(out)) return;
    float* dx = t.needs_grad(x) ? f32(t.grad(x)) : nullptr;
    float* dw = t.needs_grad(w) ? f32(t.grad(w)) : nullptr;
    kernels::rmsnorm_backward(t.ctx(), f32(t.value(x)), f32(t.value(w)), f32(t.grad(out)), eps, dx, dw, rows, d);
  });
  return out;
}

Var swiglu(Tape& t, Var gate, Var up) {
  const Tensor& g = t.value(gate);
  SEEK_CHECK(g.shape() == t.value(up).shape(), "swiglu: gate " << g.shape_string() << " and up "
                                                               << t.value(up).shape_string() << " differ");
  Tensor y = t.alloc({g.dim(0), g.dim(1)}, false);
  kernels::swiglu(t.ctx(), g, t.value(up), y);
  Var out = t.output(std::move(y), t.needs_grad({gate, up}));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, gate, up, out] {
    if (!t.has_grad(out)) return;
    float* dg = t.needs_grad(gate) ? f32(t.grad(gate)) : nullptr;
    float* du = t.needs_grad(up) ? f32(t.grad(up)) : nullptr;
    kernels::swiglu_backward(t.ctx(), f32(t.value(gate)), f32(t.value(up)), f32(t.grad(out)), dg, du,
                             t.value(gate).numel());
  });
  return out;
}

Var embedding(Tape& t, Var table, std::span<const int32_t> ids) {
  // A lookup is a row gather of the table; only the ids need checking against the vocabulary.
  const int64_t vocab = t.value(table).dim(0);
  for (const int32_t id : ids) SEEK_CHECK(id >= 0 && id < vocab, "token id " << id << " is outside the vocabulary of " << vocab);
  return gather_rows(t, table, std::vector<int32_t>(ids.begin(), ids.end()));
}

Var rope(Tape& t, Var x, int64_t heads, int64_t offset, const Tensor& positions, const Tensor& freqs,
         const kernels::RopeParams& params) {
  const Tensor& xv = t.value(x);
  const int64_t rows = xv.dim(0), head_dim = xv.dim(1) / heads, len = 2 * freqs.numel();
  SEEK_CHECK(xv.dim(1) == heads * head_dim && offset + len <= head_dim,
             "rope: columns [" << offset << ", " << offset + len << ") of " << heads << " heads in rows of " << xv.dim(1));
  auto rotated = [&](Tensor& m) { return m.reshape({rows, heads, head_dim}).narrow(2, offset, len); };
  Tensor y = t.copy(xv);
  Tensor part = rotated(y);
  kernels::rope(t.ctx(), part, positions, freqs, params);
  Var out = t.output(std::move(y), t.needs_grad(x));
  if (!t.needs_grad(out)) return out;
  // y = a R(θ) x is a scaled rotation, so dx = a R(-θ) dy: the same kernel with negated frequencies.
  Tensor neg = Tensor::empty(DType::kF32, {freqs.numel()});
  for (int64_t i = 0; i < freqs.numel(); ++i) f32(neg)[i] = -f32(freqs)[i];
  t.on_backward([&t, x, out, rows, heads, head_dim, offset, len, positions, neg, params] {
    if (!t.has_grad(out)) return;
    bool fresh = false;
    Tensor& gx = t.grad_for_write(x, &fresh);
    const TapeMemory::Mark temporaries = t.mark();
    Tensor dx = fresh ? gx : t.alloc(gx.shape(), false);  // a fresh gradient is rotated in place
    std::memcpy(dx.data(), t.grad(out).data(), static_cast<size_t>(dx.numel()) * sizeof(float));
    Tensor part = dx.reshape({rows, heads, head_dim}).narrow(2, offset, len);
    kernels::rope(t.ctx(), part, positions, neg, params);
    if (!fresh) detail::accumulate(t.ctx(), gx, dx);
    t.release(temporaries);
  });
  return out;
}

Var slice_cols(Tape& t, Var x, int64_t start, int64_t len) {
  const Tensor& xv = t.value(x);
  const int64_t rows = xv.dim(0), cols = xv.dim(1);
  SEEK_CHECK(start >= 0 && len >= 1 && start + len <= cols, "slice_cols: [" << start << ", " << start + len
                                                                            << ") of " << cols << " columns");
  Tensor y = t.zeros(rows, len);
  for (int64_t i = 0; i < rows; ++i)
    std::memcpy(f32(y) + i * len, f32(xv) + i * cols + start, static_cast<size_t>(len) * sizeof(float));
  Var out = t.output(std::move(y), t.needs_grad(x));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, x, out, rows, cols, start, len] {
    if (!t.has_grad(out)) return;
    const float* dy = f32(t.grad(out));
    float* dx = f32(t.grad(x));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < len; ++j) dx[i * cols + start + j] += dy[i * len + j];
  });
  return out;
}

Var concat_cols(Tape& t, Var a, Var b) {
  const Tensor& av = t.value(a);
  const Tensor& bv = t.value(b);
  const int64_t rows = av.dim(0), wa = av.dim(1), wb = bv.dim(1);
  SEEK_CHECK(bv.dim(0) == rows, "concat_cols: " << rows << " rows and " << bv.dim(0) << " rows");
  Tensor y = t.zeros(rows, wa + wb);
  for (int64_t i = 0; i < rows; ++i) {
    std::memcpy(f32(y) + i * (wa + wb), f32(av) + i * wa, static_cast<size_t>(wa) * sizeof(float));
    std::memcpy(f32(y) + i * (wa + wb) + wa, f32(bv) + i * wb, static_cast<size_t>(wb) * sizeof(float));
  }
  Var out = t.output(std::move(y), t.needs_grad({a, b}));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, a, b, out, rows, wa, wb] {
    if (!t.has_grad(out)) return;
    const float* dy = f32(t.grad(out));
    float* da = t.needs_grad(a) ? f32(t.grad(a)) : nullptr;
    float* db = t.needs_grad(b) ? f32(t.grad(b)) : nullptr;
    for (int64_t i = 0; i < rows; ++i) {
      if (da != nullptr)
        for (int64_t j = 0; j < wa; ++j) da[i * wa + j] += dy[i * (wa + wb) + j];
      if (db != nullptr)
        for (int64_t j = 0; j < wb; ++j) db[i * wb + j] += dy[i * (wa + wb) + wa + j];
    }
  });
  return out;
}

Var gather_rows(Tape& t, Var x, std::vector<int32_t> rows) {
  const Tensor& xv = t.value(x);
  const int64_t n = static_cast<int64_t>(rows.size()), d = xv.dim(1);
  for (const int32_t r : rows) SEEK_ASSERT(r >= 0 && r < xv.dim(0));
  Tensor y = t.alloc({n, d}, false);
  t.pool().parallel_for(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      std::memcpy(f32(y) + i * d, f32(xv) + rows[static_cast<size_t>(i)] * d, static_cast<size_t>(d) * sizeof(float));
  }, 64);
  Var out = t.output(std::move(y), t.needs_grad(x));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, x, out, rows = std::move(rows), d] {
    if (!t.has_grad(out)) return;
    const float* dy = f32(t.grad(out));
    float* dx = f32(t.grad(x));
    // Rows may repeat (a token twice in a batch), so threads split the columns, not the rows.
    const int nt = t.pool().num_threads();
    const int64_t n = static_cast<int64_t>(rows.size());
    auto columns = [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < n; ++i) {
        float* dst = dx + rows[static_cast<size_t>(i)] * d;
        const float* src = dy + i * d;
        for (int64_t j = j0; j < j1; ++j) dst[j] += src[j];
      }
    };
    if (n * d < (int64_t{1} << 15) || nt == 1 || d < 32) return columns(0, d);
    t.pool().parallel_for(d, columns, 16);
  });
  return out;
}

KeysValues mla_keys_values(Tape& t, Var kv, Var k_pe, int64_t heads, int64_t nope, int64_t v_dim) {
  const Tensor& kvv = t.value(kv);
  const Tensor& pev = t.value(k_pe);
  const int64_t rows = kvv.dim(0), rope = pev.dim(1), kw = nope + rope, in_w = nope + v_dim;
  SEEK_CHECK(kvv.dim(1) == heads * in_w && pev.dim(0) == rows, "mla_keys_values: kv " << kvv.shape_string()
                                                                                         << ", k_pe " << pev.shape_string());
  Tensor k = t.zeros(rows, heads * kw), v = t.zeros(rows, heads * v_dim);
  const size_t fs = sizeof(float);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t h = 0; h < heads; ++h) {
      const float* src = f32(kvv) + i * heads * in_w + h * in_w;
      std::memcpy(f32(k) + (i * heads + h) * kw, src, static_cast<size_t>(nope) * fs);
      std::memcpy(f32(k) + (i * heads + h) * kw + nope, f32(pev) + i * rope, static_cast<size_t>(rope) * fs);
      std::memcpy(f32(v) + (i * heads + h) * v_dim, src + nope, static_cast<size_t>(v_dim) * fs);
    }
  const bool needs = t.needs_grad({kv, k_pe});
  Var kout = t.output(std::move(k), needs), vout = t.output(std::move(v), needs);
  if (!needs) return {kout, vout};
  t.on_backward([&t, kv, k_pe, kout, vout, rows, heads, nope, rope, v_dim, kw, in_w] {
    const bool gk = t.has_grad(kout), gv = t.has_grad(vout);
    if (!gk && !gv) return;
    float* dkv = t.needs_grad(kv) ? f32(t.grad(kv)) : nullptr;
    float* dpe = t.needs_grad(k_pe) ? f32(t.grad(k_pe)) : nullptr;
    const float* dk = gk ? f32(t.grad(kout)) : nullptr;
    const float* dv = gv ? f32(t.grad(vout)) : nullptr;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t h = 0; h < heads; ++h) {
        float* dst = dkv != nullptr ? dkv + i * heads * in_w + h * in_w : nullptr;
        if (dk != nullptr) {
          const float* src = dk + (i * heads + h) * kw;
          if (dst != nullptr)
            for (int64_t j = 0; j < nope; ++j) dst[j] += src[j];
          if (dpe != nullptr)  // every head's copy of k_pe sends its gradient back to the one k_pe
            for (int64_t j = 0; j < rope; ++j) dpe[i * rope + j] += src[nope + j];
        }
        if (dv != nullptr && dst != nullptr)
          for (int64_t j = 0; j < v_dim; ++j) dst[nope + j] += dv[(i * heads + h) * v_dim + j];
      }
  });
  return {kout, vout};
}

Var weighted_sum(Tape& t, const std::vector<Var>& xs, const std::vector<float>& weights) {
  SEEK_CHECK(xs.size() == weights.size() && !xs.empty(), "weighted_sum: " << xs.size() << " values, "
                                                                          << weights.size() << " weights");
  Tensor y = t.zeros(1, 1);
  bool needs = false;
  for (size_t i = 0; i < xs.size(); ++i) {
    SEEK_CHECK(t.value(xs[i]).numel() == 1, "weighted_sum: values must be scalars");
    f32(y)[0] += weights[i] * f32(t.value(xs[i]))[0];
    needs = needs || t.needs_grad(xs[i]);
  }
  Var out = t.output(std::move(y), needs);
  if (!needs) return out;
  t.on_backward([&t, xs, weights, out] {
    if (!t.has_grad(out)) return;
    const float g = f32(t.grad(out))[0];
    for (size_t i = 0; i < xs.size(); ++i)
      if (t.needs_grad(xs[i])) f32(t.grad(xs[i]))[0] += weights[i] * g;
  });
  return out;
}

}  // namespace seek::train
