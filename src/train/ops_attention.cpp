// Causal attention for training: forward through kernels::attention (the kernel inference runs),
// backward by recomputing each query's softmax row (nothing [T, T] is stored), as FlashAttention-2
// does:  with p = softmax(scale q·k) and D = do·o,
//   dv_j += p_j do,   ds_j = p_j (do·v_j - D),   dq += scale Σ_j ds_j k_j,   dk_j += scale ds_j q.
#include <cmath>
#include <vector>

#include "kernels/attention.h"
#include "train/ops.h"
#include "train/ops_util.h"

namespace seek::train {

using detail::f32;

namespace {

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
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
  Tensor o = detail::zeros(B * T, H * dv);
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
    const float* qs = f32(t.value(q));
    const float* ks = f32(t.value(k));
    const float* vs = f32(t.value(v));
    const float* os = f32(t.value(out));
    const float* dos = f32(t.grad(out));
    // Gradients are allocated before the parallel loop (allocation is not thread-safe).
    float* dq = t.needs_grad(q) ? f32(t.grad(q)) : nullptr;
    float* dkk = t.needs_grad(k) ? f32(t.grad(k)) : nullptr;
    float* dvv = t.needs_grad(v) ? f32(t.grad(v)) : nullptr;
    // One task per (sequence, kv head): its keys' and values' gradients are private to it.
    t.pool().parallel_for(B * G, [&](int64_t begin, int64_t end) {
      std::vector<float> p(static_cast<size_t>(T));
      std::vector<float> dq_row(static_cast<size_t>(dk));
      for (int64_t task = begin; task < end; ++task) {
        const int64_t b = task / G, g = task % G;
        auto krow = [&](int64_t j) { return ks + ((b * T + j) * G + g) * dk; };
        auto vrow = [&](int64_t j) { return vs + ((b * T + j) * G + g) * dv; };
        for (int64_t h = g * per; h < (g + 1) * per; ++h)
          for (int64_t i = 0; i < T; ++i) {
            const int64_t row = (b * T + i) * H + h;
            const float* qi = qs + row * dk;
            const float* doi = dos + row * dv;
            float mx = -INFINITY;
            for (int64_t j = 0; j <= i; ++j) mx = std::max(mx, p[static_cast<size_t>(j)] = s.scale * dot(qi, krow(j), dk));
            float sum = 0.0f;
            for (int64_t j = 0; j <= i; ++j) sum += p[static_cast<size_t>(j)] = std::exp(p[static_cast<size_t>(j)] - mx);
            const float inv = 1.0f / sum;
            const float D = dot(doi, os + row * dv, dv);
            std::fill(dq_row.begin(), dq_row.end(), 0.0f);
            for (int64_t j = 0; j <= i; ++j) {
              const float pj = p[static_cast<size_t>(j)] * inv;
              if (dvv != nullptr) axpy(pj, doi, dvv + ((b * T + j) * G + g) * dv, dv);
              const float ds = pj * (dot(doi, vrow(j), dv) - D) * s.scale;
              axpy(ds, krow(j), dq_row.data(), dk);
              if (dkk != nullptr) axpy(ds, qi, dkk + ((b * T + j) * G + g) * dk, dk);
            }
            if (dq != nullptr) axpy(1.0f, dq_row.data(), dq + row * dk, dk);
          }
      }
    });
  });
  return out;
}

}  // namespace seek::train
