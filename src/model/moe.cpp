// DeepSeekMoE layer (architecture.md 5.1): FFN(x) = Σ_{i ∈ TopK} g_i · Expert_i(x) + Shared(x).
// Tokens are grouped by expert so each expert's weights are read once per forward pass, not once per
// token: route all tokens, bucket their (token, weight) slots per expert, run each expert on its
// gathered rows, scatter-add the weighted outputs.
#include <algorithm>

#include "core/error.h"
#include "model/model.h"
#include "model/moe_router.h"
#include "model/tensor_ops.h"

namespace seek {

using ops::rows;

void Model::ffn_forward(const FfnWeights& w, const Tensor& xn, Tensor& out) {
  const kernels::KernelContext ctx = kctx();
  const int64_t n = xn.dim(0), inter = w.gate.dim(0);
  Tensor gate = rows(act_.ffn_gate, n).narrow(1, 0, inter);
  Tensor up = rows(act_.ffn_up, n).narrow(1, 0, inter);
  kernels::matmul(ctx, xn, w.gate, gate);
  kernels::matmul(ctx, xn, w.up, up);
  kernels::swiglu(ctx, gate, up, gate);  // silu(gate) ⊙ up
  kernels::matmul(ctx, gate, w.down, out);
}

void Model::route(const MoeWeights& w, int64_t n) {
  const ModelConfig& c = config_;
  const int64_t k = c.num_experts_per_tok;
  const Tensor logits = rows(act_.router_logits, n);
  const float* bias = w.score_bias.defined() ? w.score_bias.data_as<float>() : nullptr;
  for (int64_t t = 0; t < n; ++t) {
    route_token(c, reinterpret_cast<const float*>(logits.row(t)), bias, act_.router_scratch.data(),
                act_.route_idx.data() + t * k, act_.route_w.data() + t * k);
  }
}

void Model::moe_forward(const MoeWeights& w, const Tensor& xn, int64_t n, Tensor& out) {
  const ModelConfig& c = config_;
  const kernels::KernelContext ctx = kctx();
  const int64_t E = c.n_routed_experts, k = c.num_experts_per_tok, d = c.hidden_size;

  Tensor logits = rows(act_.router_logits, n);
  kernels::matmul(ctx, xn, w.router, logits);
  route(w, n);

  // Bucket the n·k (token, slot) pairs by expert: offsets[e]..offsets[e+1] index expert_rows.
  std::vector<int32_t>& offsets = act_.expert_offsets;
  std::vector<int32_t>& slots = act_.expert_rows;  // slot = token * k + i
  std::fill(offsets.begin(), offsets.end(), 0);
  // Counting sort: count into offsets[e + 2], prefix-sum, then place each slot via offsets[e + 1]
  // (which ends as the start of expert e + 1, leaving offsets[e] = start of e).
  for (int64_t s = 0; s < n * k; ++s) offsets[static_cast<size_t>(act_.route_idx[s]) + 2]++;
  for (int64_t e = 0; e < E; ++e) offsets[e + 2] += offsets[e + 1];
  for (int64_t s = 0; s < n * k; ++s) slots[offsets[static_cast<size_t>(act_.route_idx[s]) + 1]++] = static_cast<int32_t>(s);

  float* y = out.data_as<float>();
  SEEK_ASSERT(out.is_contiguous());
  std::fill(y, y + n * d, 0.0f);
  for (int64_t e = 0; e < E; ++e) {
    const int32_t begin = offsets[e], count = offsets[e + 1] - begin;
    if (count == 0) continue;
    Tensor xe = rows(act_.expert_x, count), ye = rows(act_.expert_y, count);
    for (int32_t r = 0; r < count; ++r) {
      const int32_t token = slots[begin + r] / static_cast<int32_t>(k);
      std::copy_n(reinterpret_cast<const float*>(xn.row(token)), d, reinterpret_cast<float*>(xe.row(r)));
    }
    ffn_forward(w.experts[static_cast<size_t>(e)], xe, ye);
    for (int32_t r = 0; r < count; ++r) {
      const int32_t slot = slots[begin + r];
      const float g = act_.route_w[slot];
      const float* yr = reinterpret_cast<const float*>(ye.row(r));
      float* dst = y + (slot / k) * d;
      for (int64_t j = 0; j < d; ++j) dst[j] += g * yr[j];
    }
  }
  if (c.n_shared_experts > 0) {
    Tensor shared = rows(act_.expert_y, n);
    ffn_forward(w.shared, xn, shared);
    ops::add_inplace(out, shared);
  }
}

}  // namespace seek
