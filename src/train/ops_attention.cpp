// Causal attention for training: forward through kernels::attention (the kernel inference runs);
// backward per (sequence, head) as matrix products on the same matmul kernels, recomputing the
// probabilities instead of storing them from the forward pass:
//   P = softmax(scale Q Kᵀ) (causal),  dV = Pᵀ dO,  dP = dO Vᵀ,
//   dS = P ⊙ (dP - rowsum(P ⊙ dP)) · scale,  dQ = dS K,  dK = dSᵀ Q.
// One [T, T] score matrix lives at a time.
#include <cmath>
#include <vector>

#include "kernels/attention.h"
#include "train/ops.h"
#include "train/ops_util.h"

namespace seek::train {

using detail::f32;

namespace {

// dst (a strided [rows, cols] view) += src (contiguous [rows, cols]).
void add_into_view(Tensor dst, const Tensor& src) {
  const int64_t rows = src.dim(0), cols = src.dim(1);
  for (int64_t r = 0; r < rows; ++r) {
    float* d = reinterpret_cast<float*>(dst.row(r));
    const float* s = f32(src) + r * cols;
    for (int64_t c = 0; c < cols; ++c) d[c] += s[c];
  }
}

}  // namespace

Var attention(Tape& t, Var q, Var k, Var v, const AttentionShape& s) {
  const int64_t B = s.batch, T = s.seq, H = s.heads, G = s.kv_heads, dk = s.dk, dv = s.dv;
  SEEK_CHECK(H % G == 0, "attention: " << H << " heads over " << G << " kv heads");
  SEEK_CHECK(t.value(q).dim(0) == B * T && t.value(q).dim(1) == H * dk && t.value(k).dim(1) == G * dk &&
                 t.value(v).dim(1) == G * dv && t.value(k).dim(0) == B * T && t.value(v).dim(0) == B * T,
             "attention: q " << t.value(q).shape_string() << ", k " << t.value(k).shape_string() << ", v "
                             << t.value(v).shape_string() << " for " << B << " x " << T << " rows");
  Tensor positions = Tensor::empty(DType::kI32, {T});
  for (int64_t i = 0; i < T; ++i) positions.data_as<int32_t>()[i] = static_cast<int32_t>(i);
  Tensor o = t.alloc({B * T, H * dv}, false);
  const kernels::KernelContext& ctx = t.ctx();
  for (int64_t b = 0; b < B; ++b) {
    const Tensor qb = t.value(q).narrow(0, b * T, T).reshape({T, H, dk});
    const Tensor kb = t.value(k).narrow(0, b * T, T).reshape({T, G, dk});
    const Tensor vb = t.value(v).narrow(0, b * T, T).reshape({T, G, dv});
    Tensor ob = o.narrow(0, b * T, T).reshape({T, H, dv});
    kernels::attention(ctx, qb, kb, vb, positions, {s.scale, H, G}, ob);
  }
  Var out = t.output(std::move(o), t.needs_grad({q, k, v}));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, q, k, v, out, s] {
    if (!t.has_grad(out)) return;
    const int64_t B = s.batch, T = s.seq, H = s.heads, G = s.kv_heads, dk = s.dk, dv = s.dv, per = H / G;
    const kernels::KernelContext& ctx = t.ctx();
    ThreadPool& pool = t.pool();
    const bool gq = t.needs_grad(q), gk = t.needs_grad(k), gv = t.needs_grad(v);
    if (gq) t.grad(q);  // allocated before the temporaries' mark
    if (gk) t.grad(k);
    if (gv) t.grad(v);
    Tensor scores = t.alloc({T, T}, false), dp = t.alloc({T, T}, false);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h) {
        const int64_t g = h / per;
        const TapeMemory::Mark temporaries = t.mark();
        auto head = [&](const Tensor& m, int64_t idx, int64_t width) { return m.narrow(0, b * T, T).narrow(1, idx * width, width); };
        const Tensor qh = head(t.value(q), h, dk), kg = head(t.value(k), g, dk);
        const Tensor vg = head(t.value(v), g, dv), doh = head(t.grad(out), h, dv);
        // P = softmax(scale Q Kᵀ) over keys j <= i
        detail::matmul_into(ctx, qh, kg, scores);
        float* p = f32(scores);
        for (int64_t i = 0; i < T; ++i)
          for (int64_t j = i + 1; j < T; ++j) p[i * T + j] = -INFINITY;
        kernels::softmax(ctx, scores, s.scale);
        // dS = P ⊙ (dP - Σ_j P dP) · scale
        detail::matmul_into(ctx, doh, vg, dp);
        float* d = f32(dp);
        pool.parallel_for(T, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) {
            float dot = 0.0f;
            for (int64_t j = 0; j <= i; ++j) dot += p[i * T + j] * d[i * T + j];
            for (int64_t j = 0; j < T; ++j) d[i * T + j] = j <= i ? p[i * T + j] * (d[i * T + j] - dot) * s.scale : 0.0f;
          }
        });
        if (gv) {  // dV = Pᵀ dO
          Tensor part = t.alloc({T, dv}, false);
          detail::matmul_tn_into(ctx, scores, doh, part);
          add_into_view(head(t.grad(v), g, dv), part);
        }
        if (gq) {  // dQ = dS K
          Tensor part = t.alloc({T, dk}, false);
          detail::matmul_nn_into(ctx, dp, kg, part);
          add_into_view(head(t.grad(q), h, dk), part);
        }
        if (gk) {  // dK = dSᵀ Q
          Tensor part = t.alloc({T, dk}, false);
          detail::matmul_tn_into(ctx, dp, qh, part);
          add_into_view(head(t.grad(k), g, dk), part);
        }
        t.release(temporaries);
      }
  });
  return out;
}

}  // namespace seek::train
