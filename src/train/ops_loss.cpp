// Losses and DeepSeekMoE's differentiable pieces: cross-entropy, router scores, gate weights, the
// weighted combination of expert outputs, and the sequence-wise balance loss.
#include <algorithm>
#include <cmath>
#include <vector>

#include "train/ops.h"
#include "train/ops_util.h"

namespace seek::train {

using detail::f32;

Var cross_entropy(Tape& t, Var logits, std::span<const int32_t> targets) {
  const Tensor& lv = t.value(logits);
  const int64_t n = lv.dim(0), V = lv.dim(1);
  SEEK_CHECK(static_cast<int64_t>(targets.size()) == n, "cross_entropy: " << targets.size() << " targets for " << n << " rows");
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t y = targets[static_cast<size_t>(i)];
    SEEK_CHECK(y >= -1 && y < V, "cross_entropy: target " << y << " outside the vocabulary of " << V);
    count += y >= 0;
  }
  // p = softmax(logits) by the kernel, kept for the backward pass (dlogits = p - onehot). The loss is
  // -log p_y, as exact as p_y itself while p_y is a normal float; a row whose p_y underflows uses
  // log-sum-exp = l_max - log p_max instead (safe: p_max >= 1/V), which needs a pass over the row.
  Tensor probs = t.copy(lv);
  kernels::softmax(t.ctx(), probs, 1.0f);
  std::vector<double> row_loss(static_cast<size_t>(n), 0.0);
  const float* ls = f32(lv);
  const float* ps = f32(probs);
  t.pool().parallel_for(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int32_t y = targets[static_cast<size_t>(i)];
      if (y < 0) continue;
      const float py = ps[i * V + y];
      if (py >= 1e-30f) {
        row_loss[static_cast<size_t>(i)] = -std::log(static_cast<double>(py));
        continue;
      }
      const float* r = ls + i * V;
      int64_t best = 0;
      for (int64_t j = 1; j < V; ++j) best = r[j] > r[best] ? j : best;
      row_loss[static_cast<size_t>(i)] = static_cast<double>(r[best]) - std::log(static_cast<double>(ps[i * V + best])) - r[y];
    }
  });
  double total = 0.0;
  for (double l : row_loss) total += l;
  Tensor y = t.zeros(1, 1);
  f32(y)[0] = count > 0 ? static_cast<float>(total / static_cast<double>(count)) : 0.0f;
  Var out = t.output(std::move(y), t.needs_grad(logits) && count > 0);
  if (!t.needs_grad(out)) return out;
  std::vector<int32_t> keep(targets.begin(), targets.end());
  t.on_backward([&t, logits, out, probs, keep = std::move(keep), n, V, count] {
    if (!t.has_grad(out)) return;
    const float scale = f32(t.grad(out))[0] / static_cast<float>(count);
    const float* p = f32(probs);
    bool fresh = false;
    float* dl = f32(t.grad_for_write(logits, &fresh));  // fresh: written, not zero-filled and added to
    t.pool().parallel_for(n, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float* row = dl + i * V;
        const int32_t y = keep[static_cast<size_t>(i)];
        if (y < 0) {
          if (fresh) std::fill(row, row + V, 0.0f);
          continue;
        }
        if (fresh) {
          for (int64_t j = 0; j < V; ++j) row[j] = scale * p[i * V + j];
        } else {
          for (int64_t j = 0; j < V; ++j) row[j] += scale * p[i * V + j];
        }
        row[y] -= scale;
      }
    });
  });
  return out;
}

Var router_scores(Tape& t, Var logits, ScoringFunc func) {
  const Tensor& lv = t.value(logits);
  const int64_t n = lv.dim(0), E = lv.dim(1);
  Tensor s = t.copy(lv);
  float* sv = f32(s);
  for (int64_t i = 0; i < n; ++i) {
    float* r = sv + i * E;
    if (func == ScoringFunc::kSoftmax) {
      float mx = r[0], sum = 0.0f;
      for (int64_t e = 1; e < E; ++e) mx = std::max(mx, r[e]);
      for (int64_t e = 0; e < E; ++e) sum += r[e] = std::exp(r[e] - mx);
      for (int64_t e = 0; e < E; ++e) r[e] /= sum;
    } else {
      for (int64_t e = 0; e < E; ++e) r[e] = 1.0f / (1.0f + std::exp(-r[e]));
    }
  }
  Var out = t.output(std::move(s), t.needs_grad(logits));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, logits, out, n, E, func] {
    if (!t.has_grad(out)) return;
    const float* s = f32(t.value(out));
    const float* ds = f32(t.grad(out));
    float* dl = f32(t.grad(logits));
    for (int64_t i = 0; i < n; ++i) {
      const float* si = s + i * E;
      const float* gi = ds + i * E;
      if (func == ScoringFunc::kSoftmax) {  // dl = s ⊙ (ds - Σ s ds)
        float dot = 0.0f;
        for (int64_t e = 0; e < E; ++e) dot += si[e] * gi[e];
        for (int64_t e = 0; e < E; ++e) dl[i * E + e] += si[e] * (gi[e] - dot);
      } else {  // σ' = σ (1 - σ)
        for (int64_t e = 0; e < E; ++e) dl[i * E + e] += gi[e] * si[e] * (1.0f - si[e]);
      }
    }
  });
  return out;
}

Var gate_weights(Tape& t, Var scores, std::span<const int32_t> idx, int64_t k, bool normalize, float scale) {
  const Tensor& sv = t.value(scores);
  const int64_t n = sv.dim(0), E = sv.dim(1);
  SEEK_CHECK(static_cast<int64_t>(idx.size()) == n * k, "gate_weights: " << idx.size() << " choices for " << n << " x " << k);
  Tensor g = t.zeros(n, k);
  for (int64_t i = 0; i < n; ++i) {
    float sum = 0.0f;
    for (int64_t c = 0; c < k; ++c) sum += f32(sv)[i * E + idx[static_cast<size_t>(i * k + c)]];
    const float norm = normalize ? scale / (sum + 1e-20f) : scale;
    for (int64_t c = 0; c < k; ++c) f32(g)[i * k + c] = f32(sv)[i * E + idx[static_cast<size_t>(i * k + c)]] * norm;
  }
  Var out = t.output(std::move(g), t.needs_grad(scores));
  if (!t.needs_grad(out)) return out;
  std::vector<int32_t> keep(idx.begin(), idx.end());
  t.on_backward([&t, scores, out, keep = std::move(keep), n, E, k, normalize, scale] {
    if (!t.has_grad(out)) return;
    const float* s = f32(t.value(scores));
    const float* dg = f32(t.grad(out));
    float* ds = f32(t.grad(scores));
    for (int64_t i = 0; i < n; ++i) {
      const int32_t* chosen = keep.data() + i * k;
      if (!normalize) {
        for (int64_t c = 0; c < k; ++c) ds[i * E + chosen[c]] += scale * dg[i * k + c];
        continue;
      }
      // g_c = scale a_c / S with S = Σ a:  da_j = scale / S (dg_j - Σ_c dg_c a_c / S)
      float sum = 0.0f, weighted = 0.0f;
      for (int64_t c = 0; c < k; ++c) sum += s[i * E + chosen[c]];
      sum += 1e-20f;
      for (int64_t c = 0; c < k; ++c) weighted += dg[i * k + c] * s[i * E + chosen[c]];
      for (int64_t c = 0; c < k; ++c) ds[i * E + chosen[c]] += scale / sum * (dg[i * k + c] - weighted / sum);
    }
  });
  return out;
}

Var moe_combine(Tape& t, const std::vector<Var>& expert_out, const std::vector<std::vector<int32_t>>& slots,
                Var gates, int64_t n, int64_t d, int64_t k) {
  SEEK_CHECK(expert_out.size() == slots.size(), "moe_combine: " << expert_out.size() << " outputs, " << slots.size() << " slot lists");
  // Where each (token, choice) slot's expert output row lives, so that tokens can be combined in
  // parallel (each output row is written by one thread) and slots differentiated in parallel.
  struct Source {
    int32_t expert = -1, row = 0;
  };
  std::vector<Source> source(static_cast<size_t>(n * k));
  bool needs = t.needs_grad(gates);
  for (size_t e = 0; e < expert_out.size(); ++e) {
    for (size_t r = 0; r < slots[e].size(); ++r)
      source[static_cast<size_t>(slots[e][r])] = {static_cast<int32_t>(e), static_cast<int32_t>(r)};
    needs = needs || (!slots[e].empty() && t.needs_grad(expert_out[e]));
  }
  Tensor y = t.zeros(n, d);
  const float* g = f32(t.value(gates));
  t.pool().parallel_for(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float* dst = f32(y) + i * d;
      for (int64_t c = 0; c < k; ++c) {
        const Source src = source[static_cast<size_t>(i * k + c)];
        if (src.expert < 0) continue;
        const float* ye = f32(t.value(expert_out[static_cast<size_t>(src.expert)])) + static_cast<int64_t>(src.row) * d;
        const float gc = g[i * k + c];
        for (int64_t j = 0; j < d; ++j) dst[j] += gc * ye[j];
      }
    }
  });
  Var out = t.output(std::move(y), needs);
  if (!needs) return out;
  t.on_backward([&t, expert_out, gates, out, source = std::move(source), d] {
    if (!t.has_grad(out)) return;
    const float* dy = f32(t.grad(out));
    const float* g = f32(t.value(gates));
    float* dg = t.needs_grad(gates) ? f32(t.grad(gates)) : nullptr;
    std::vector<float*> dye(expert_out.size(), nullptr);  // gradients obtained before the parallel loop
    for (size_t e = 0; e < expert_out.size(); ++e)
      if (t.needs_grad(expert_out[e])) dye[e] = f32(t.grad(expert_out[e]));
    const int64_t k = t.value(gates).dim(1);
    // Every slot owns its gate and its expert output row: slots split over threads without races.
    t.pool().parallel_for(static_cast<int64_t>(source.size()), [&](int64_t begin, int64_t end) {
      for (int64_t slot = begin; slot < end; ++slot) {
        const Source src = source[static_cast<size_t>(slot)];
        if (src.expert < 0) continue;
        const float* dyt = dy + (slot / k) * d;
        const float* yr = f32(t.value(expert_out[static_cast<size_t>(src.expert)])) + static_cast<int64_t>(src.row) * d;
        if (dg != nullptr) {
          float acc = 0.0f;
          for (int64_t j = 0; j < d; ++j) acc += dyt[j] * yr[j];
          dg[slot] += acc;
        }
        float* dst = dye[static_cast<size_t>(src.expert)];
        if (dst != nullptr)
          for (int64_t j = 0; j < d; ++j) dst[static_cast<int64_t>(src.row) * d + j] += g[slot] * dyt[j];
      }
    });
  });
  return out;
}

Var balance_loss(Tape& t, Var scores, std::span<const int32_t> idx, int64_t batch, int64_t seq, int64_t k) {
  const Tensor& sv = t.value(scores);
  const int64_t E = sv.dim(1);
  SEEK_CHECK(sv.dim(0) == batch * seq && static_cast<int64_t>(idx.size()) == batch * seq * k,
             "balance_loss: scores " << sv.shape_string() << " for " << batch << " x " << seq);
  // f[b, i] = E / (k T) · (times expert i was chosen in sequence b)
  std::vector<double> f(static_cast<size_t>(batch * E), 0.0);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t s = 0; s < seq * k; ++s) f[static_cast<size_t>(b * E + idx[static_cast<size_t>(b * seq * k + s)])] += 1.0;
  for (double& x : f) x *= static_cast<double>(E) / static_cast<double>(k * seq);
  // Per token: S = Σ_j s_j and F = Σ_j f_j s_j; the loss sums F / S, the backward needs both.
  std::vector<double> row_sum(static_cast<size_t>(batch * seq)), row_fs(static_cast<size_t>(batch * seq));
  double loss = 0.0;
  const float* s = f32(sv);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t r = b * seq; r < (b + 1) * seq; ++r) {
      double sum = 0.0, fs = 0.0;
      for (int64_t e = 0; e < E; ++e) {
        sum += s[r * E + e];
        fs += f[static_cast<size_t>(b * E + e)] * s[r * E + e];
      }
      row_sum[static_cast<size_t>(r)] = sum;
      row_fs[static_cast<size_t>(r)] = fs;
      loss += fs / sum;
    }
  Tensor y = t.zeros(1, 1);
  f32(y)[0] = static_cast<float>(loss / static_cast<double>(batch * seq));
  Var out = t.output(std::move(y), t.needs_grad(scores));
  if (!t.needs_grad(out)) return out;
  t.on_backward([&t, scores, out, f = std::move(f), row_sum = std::move(row_sum), row_fs = std::move(row_fs), batch, seq, E] {
    if (!t.has_grad(out)) return;
    const double g = f32(t.grad(out))[0] / static_cast<double>(batch * seq);
    float* ds = f32(t.grad(scores));
    // ∂/∂s_i of F / S  =  f_i / S - F / S²
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t r = b * seq; r < (b + 1) * seq; ++r) {
        const double sum = row_sum[static_cast<size_t>(r)], fs = row_fs[static_cast<size_t>(r)];
        for (int64_t e = 0; e < E; ++e)
          ds[r * E + e] += static_cast<float>(g * (f[static_cast<size_t>(b * E + e)] / sum - fs / (sum * sum)));
      }
  });
  return out;
}

}  // namespace seek::train
