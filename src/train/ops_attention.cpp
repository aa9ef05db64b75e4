// Causal attention for training: forward through kernels::attention (the kernel inference runs);
// backward per (sequence, head) as matrix products on the same matmul kernels, recomputing the
// probabilities instead of storing them from the forward pass:
//   P = softmax(scale Q Kᵀ) (causal),  dV = Pᵀ dO,  dP = dO Vᵀ,
//   dS = P ⊙ (dP - rowsum(P ⊙ dP)) · scale,  dQ = dS K,  dK = dSᵀ Q.
// One [64, T] block of scores per thread lives at a time.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "kernels/attention.h"
#include "kernels/grad.h"
#include "train/ops.h"
#include "train/ops_util.h"

namespace seek::train {

using detail::f32;

// Query rows per block of the backward pass (see there).
constexpr int64_t kRowBlock = 64;

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
    ThreadPool& pool = t.pool();
    const int nt = pool.num_threads();
    const bool gq = t.needs_grad(q), gk = t.needs_grad(k), gv = t.needs_grad(v);
    Tensor* dq = gq ? &t.grad(q) : nullptr;
    Tensor* dk_all = gk ? &t.grad(k) : nullptr;
    Tensor* dv_all = gv ? &t.grad(v) : nullptr;
    // Threads take whole (sequence, kv group) units, so the [T, T] products run on one thread each
    // (no hand-off per small product) and the heads sharing a kv group add into its dK, dV on one
    // thread. Each thread has its own score buffers, a one-thread pool and matmul scratch.
    std::vector<Tensor> scores(static_cast<size_t>(nt)), dps(static_cast<size_t>(nt));
    for (int th = 0; th < nt; ++th) {
      scores[static_cast<size_t>(th)] = t.alloc({std::min(kRowBlock, T), T}, false);
      dps[static_cast<size_t>(th)] = t.alloc({std::min(kRowBlock, T), T}, false);
    }
    ThreadPool probe(1);
    const kernels::KernelContext probe_ctx{&probe, nullptr, t.ctx().level};
    const int64_t widest = std::max({T, dk, dv});
    const ThreadContexts& solo = t.thread_contexts(std::max(kernels::matmul_scratch_bytes(probe_ctx, T, widest, DType::kF32),
                                                            kernels::matmul_nn_scratch_bytes(probe_ctx, T, T)));
    std::atomic<int64_t> next{0};
    pool.run([&](int th) {
      const kernels::KernelContext& ctx = solo.at(th);
      Tensor& sc = scores[static_cast<size_t>(th)];
      Tensor& dp = dps[static_cast<size_t>(th)];
      float* p = f32(sc);
      float* d = f32(dp);
      for (int64_t unit = next++; unit < B * G; unit = next++) {
        const int64_t b = unit / G, g = unit % G;
        auto head = [&](const Tensor& m, int64_t idx, int64_t width) { return m.narrow(0, b * T, T).narrow(1, idx * width, width); };
        const Tensor kg = head(t.value(k), g, dk), vg = head(t.value(v), g, dv);
        for (int64_t h = g * per; h < (g + 1) * per; ++h) {
          const Tensor qh = head(t.value(q), h, dk), doh = head(t.grad(out), h, dv);
          // Query rows in blocks of kRowBlock: rows [r0, r0 + rb) see keys [0, r0 + rb) only, so the
          // products skip the upper triangle (at T = 256: 640 of 1024 key columns per head).
          for (int64_t r0 = 0; r0 < T; r0 += kRowBlock) {
            const int64_t rb = std::min(kRowBlock, T - r0), keys = r0 + rb;
            const Tensor qr = qh.narrow(0, r0, rb), dor = doh.narrow(0, r0, rb);
            const Tensor kr = kg.narrow(0, 0, keys), vr = vg.narrow(0, 0, keys);
            Tensor p_blk = sc.narrow(0, 0, rb).narrow(1, 0, keys), ds = dp.narrow(0, 0, rb).narrow(1, 0, keys);
            // P = softmax(scale Q Kᵀ) over keys j <= i
            detail::matmul_into(ctx, qr, kr, p_blk);
            for (int64_t i = 0; i + 1 < rb; ++i) std::fill(p + i * T + r0 + i + 1, p + i * T + keys, -INFINITY);
            kernels::softmax(ctx, p_blk, s.scale);
            // dS = P ⊙ (dP - Σ_j P dP) · scale  (P is 0 past the diagonal, so dS is too)
            detail::matmul_into(ctx, dor, vr, ds);
            kernels::softmax_backward(ctx, p, d, rb, keys, T, s.scale);
            // Straight into the gradients' strided head views.
            if (dv_all != nullptr) {  // dV += Pᵀ dO
              Tensor view = head(*dv_all, g, dv).narrow(0, 0, keys);
              detail::matmul_tn_into(ctx, p_blk, dor, view, true);
            }
            if (dq != nullptr) {  // dQ += dS K
              Tensor view = head(*dq, h, dk).narrow(0, r0, rb);
              detail::matmul_nn_into(ctx, ds, kr, view, true);
            }
            if (dk_all != nullptr) {  // dK += dSᵀ Q
              Tensor view = head(*dk_all, g, dk).narrow(0, 0, keys);
              detail::matmul_tn_into(ctx, ds, qr, view, true);
            }
          }
        }
      }
    });
  });
  return out;
}

}  // namespace seek::train
