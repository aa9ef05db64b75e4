// Causal attention for training, per (sequence, head) as matrix products on the matmul kernels:
//   P = softmax(scale Q Kᵀ) (causal),  O = P V;
//   dV = Pᵀ dO,  dP = dO Vᵀ,  dS = P ⊙ (dP - rowsum(P ⊙ dP)) · scale,  dQ = dS K,  dK = dSᵀ Q.
// While the probabilities of a layer fit in kKeepProbsBytes (B·H·T² floats) the forward pass keeps
// them for the backward pass; beyond that the forward runs kernels::attention (the flash kernel
// inference runs, no T² memory) and the backward recomputes P, one [64, T] block per thread at a time.
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

// Query rows per block of the products (see the backward pass).
constexpr int64_t kRowBlock = 64;
// Probabilities kept per attention op (T = 256, 4 heads, 8 sequences: 8 MB).
constexpr int64_t kKeepProbsBytes = int64_t{64} << 20;

namespace {

// Rows [r0, r0 + rb) of P for one head: scale Q Kᵀ over keys j <= i, softmax. p_blk is [rb, r0 + rb]
// with row stride ld; qr holds the block's query rows and kr the keys [0, r0 + rb).
void causal_probs(const kernels::KernelContext& ctx, const Tensor& qr, const Tensor& kr, Tensor& p_blk, int64_t r0,
                  int64_t ld, float scale) {
  const int64_t rb = qr.dim(0), keys = r0 + rb;
  float* p = p_blk.data_as<float>();
  detail::matmul_into(ctx, qr, kr, p_blk);
  for (int64_t i = 0; i + 1 < rb; ++i) std::fill(p + i * ld + r0 + i + 1, p + i * ld + keys, -INFINITY);
  kernels::softmax(ctx, p_blk, scale);
}

// Columns [idx·width, (idx + 1)·width) of sequence b's T rows: one head of q, k, v, o or a gradient.
Tensor head_view(const Tensor& m, int64_t b, int64_t T, int64_t idx, int64_t width) {
  return m.narrow(0, b * T, T).narrow(1, idx * width, width);
}

// Scratch for the products of one (sequence, kv group) unit on one thread.
size_t unit_scratch_bytes(KernelLevel level, int64_t T, int64_t dk, int64_t dv) {
  ThreadPool probe(1);
  const kernels::KernelContext probe_ctx{&probe, nullptr, level};
  const int64_t widest = std::max({T, dk, dv});
  return std::max(kernels::matmul_scratch_bytes(probe_ctx, T, widest, DType::kF32), kernels::matmul_nn_scratch_bytes(probe_ctx, T, T));
}

}  // namespace

Var attention(Tape& t, Var q, Var k, Var v, const AttentionShape& s) {
  const int64_t B = s.batch, T = s.seq, H = s.heads, G = s.kv_heads, dk = s.dk, dv = s.dv;
  SEEK_CHECK(H % G == 0, "attention: " << H << " heads over " << G << " kv heads");
  SEEK_CHECK(t.value(q).dim(0) == B * T && t.value(q).dim(1) == H * dk && t.value(k).dim(1) == G * dk &&
                 t.value(v).dim(1) == G * dv && t.value(k).dim(0) == B * T && t.value(v).dim(0) == B * T,
             "attention: q " << t.value(q).shape_string() << ", k " << t.value(k).shape_string() << ", v "
                             << t.value(v).shape_string() << " for " << B << " x " << T << " rows");
  Tensor o = t.alloc({B * T, H * dv}, false);
  const kernels::KernelContext& ctx = t.ctx();
  const bool training = t.needs_grad({q, k, v});
  Tensor probs;  // [B·H·T, T]: row (b·H + h)·T + i holds P[i, 0..i] of head h of sequence b
  if (training && !s.recompute && B * H * T * T * static_cast<int64_t>(sizeof(float)) <= kKeepProbsBytes) {
    probs = t.alloc({B * H * T, T}, false);
    const ThreadContexts& solo = t.thread_contexts(unit_scratch_bytes(t.ctx().level, T, dk, dv));
    std::atomic<int64_t> next{0};
    t.pool().run([&](int th) {
      const kernels::KernelContext& one = solo.at(th);
      for (int64_t unit = next++; unit < B * H; unit = next++) {
        const int64_t b = unit / H, h = unit % H, g = h / (H / G);
        auto head = [&](const Tensor& m, int64_t idx, int64_t width) { return head_view(m, b, T, idx, width); };
        const Tensor qh = head(t.value(q), h, dk), kg = head(t.value(k), g, dk), vg = head(t.value(v), g, dv);
        Tensor oh = head(o, h, dv);
        for (int64_t r0 = 0; r0 < T; r0 += kRowBlock) {
          const int64_t rb = std::min(kRowBlock, T - r0), keys = r0 + rb;
          Tensor p_blk = probs.narrow(0, unit * T + r0, rb).narrow(1, 0, keys);
          causal_probs(one, qh.narrow(0, r0, rb), kg.narrow(0, 0, keys), p_blk, r0, T, s.scale);
          Tensor o_blk = oh.narrow(0, r0, rb);
          detail::matmul_nn_into(one, p_blk, vg.narrow(0, 0, keys), o_blk, false);  // O = P V
        }
      }
    });
  } else {
    Tensor positions = Tensor::empty(DType::kI32, {T});
    for (int64_t i = 0; i < T; ++i) positions.data_as<int32_t>()[i] = static_cast<int32_t>(i);
    for (int64_t b = 0; b < B; ++b) {
      const Tensor qb = t.value(q).narrow(0, b * T, T).reshape({T, H, dk});
      const Tensor kb = t.value(k).narrow(0, b * T, T).reshape({T, G, dk});
      const Tensor vb = t.value(v).narrow(0, b * T, T).reshape({T, G, dv});
      Tensor ob = o.narrow(0, b * T, T).reshape({T, H, dv});
      kernels::attention(ctx, qb, kb, vb, positions, {s.scale, H, G}, ob);
    }
  }
  Var out = t.output(std::move(o), training);
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, q, k, v, out, s, probs] {
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
      if (!probs.defined()) scores[static_cast<size_t>(th)] = t.alloc({std::min(kRowBlock, T), T}, false);
      dps[static_cast<size_t>(th)] = t.alloc({std::min(kRowBlock, T), T}, false);
    }
    const ThreadContexts& solo = t.thread_contexts(unit_scratch_bytes(t.ctx().level, T, dk, dv));
    std::atomic<int64_t> next{0};
    pool.run([&](int th) {
      const kernels::KernelContext& ctx = solo.at(th);
      Tensor& sc = scores[static_cast<size_t>(th)];
      Tensor& dp = dps[static_cast<size_t>(th)];
      float* d = f32(dp);
      for (int64_t unit = next++; unit < B * G; unit = next++) {
        const int64_t b = unit / G, g = unit % G;
        auto head = [&](const Tensor& m, int64_t idx, int64_t width) { return head_view(m, b, T, idx, width); };
        const Tensor kg = head(t.value(k), g, dk), vg = head(t.value(v), g, dv);
        for (int64_t h = g * per; h < (g + 1) * per; ++h) {
          const Tensor qh = head(t.value(q), h, dk), doh = head(t.grad(out), h, dv);
          // Query rows in blocks of kRowBlock: rows [r0, r0 + rb) see keys [0, r0 + rb) only, so the
          // products skip the upper triangle (at T = 256: 640 of 1024 key columns per head).
          for (int64_t r0 = 0; r0 < T; r0 += kRowBlock) {
            const int64_t rb = std::min(kRowBlock, T - r0), keys = r0 + rb;
            const Tensor qr = qh.narrow(0, r0, rb), dor = doh.narrow(0, r0, rb);
            const Tensor kr = kg.narrow(0, 0, keys), vr = vg.narrow(0, 0, keys);
            // P: kept by the forward pass, or recomputed into this thread's block
            Tensor p_blk = probs.defined() ? probs.narrow(0, (b * H + h) * T + r0, rb).narrow(1, 0, keys)
                                           : sc.narrow(0, 0, rb).narrow(1, 0, keys);
            if (!probs.defined()) causal_probs(ctx, qr, kr, p_blk, r0, T, s.scale);
            const float* p = f32(p_blk);
            Tensor ds = dp.narrow(0, 0, rb).narrow(1, 0, keys);
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
