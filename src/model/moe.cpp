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

namespace {

// Row r of xe = the row of xn whose token holds slot slots[r] (slot = token · k + i).
void gather_tokens(const Tensor& xn, const int32_t* slots, int64_t count, int64_t k, Tensor& xe) {
  const int64_t d = xn.dim(1);
  for (int64_t r = 0; r < count; ++r)
    std::copy_n(reinterpret_cast<const float*>(xn.row(slots[r] / k)), d, reinterpret_cast<float*>(xe.row(r)));
}

// out[token of slots[r]] += g · row r of ye, g that slot's routing weight.
void add_weighted(const Tensor& ye, const int32_t* slots, int64_t count, int64_t k, const float* route_w,
                  Tensor& out) {
  const int64_t d = out.dim(1);
  for (int64_t r = 0; r < count; ++r) {
    const float g = route_w[slots[r]];
    const float* yr = reinterpret_cast<const float*>(ye.row(r));
    float* dst = reinterpret_cast<float*>(out.row(slots[r] / k));
    for (int64_t j = 0; j < d; ++j) dst[j] += g * yr[j];
  }
}

}  // namespace

void Model::ffn_forward(const FfnWeights& w, const Tensor& xn, Tensor& out) {
  const kernels::KernelContext ctx = kctx();
  const int64_t n = xn.dim(0), inter = w.gate.dim(0);
  Tensor gate = rows(act_.ffn_gate, n).narrow(1, 0, inter);
  Tensor up = rows(act_.ffn_up, n).narrow(1, 0, inter);
  kernels::matmul_group(ctx, {{&xn, &w.gate, &gate}, {&xn, &w.up, &up}});
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
  routing_.layer_passes += 1;
  for (int64_t e = 0; e < E; ++e) routing_.experts_run += offsets[e + 1] > offsets[e] ? 1 : 0;

  // out = Σ_i g_i · Expert_i(x), then + Shared(x).
  float* y = out.data_as<float>();
  SEEK_ASSERT(out.is_contiguous());
  std::fill(y, y + n * d, 0.0f);
  if (moe_grouped(n)) return moe_experts_grouped(w, xn, n, out);
  for (int64_t e = 0; e < E; ++e) {
    const int32_t begin = offsets[e], count = offsets[e + 1] - begin;
    if (count == 0) continue;
    Tensor xe = rows(act_.expert_x, count), ye = rows(act_.expert_y, count);
    gather_tokens(xn, slots.data() + begin, count, k, xe);
    ffn_forward(w.experts[static_cast<size_t>(e)], xe, ye);
    add_weighted(ye, slots.data() + begin, count, k, act_.route_w.data(), out);
  }
  if (c.n_shared_experts > 0) {
    Tensor shared = rows(act_.expert_y, n);
    ffn_forward(w.shared, xn, shared);
    ops::add_inplace(out, shared);
  }
}

// Few tokens (decode): one expert's products read a few MB of weights each, and three hand-offs to the
// pool an expert (V2-Lite: 21 a layer) left the threads waiting on each other at the end of every one.
// So every active expert's gate and up, and the shared experts', go to the pool as one group, then all
// their downs as another. Rows are laid out in expert_rows' order (expert-major), the shared experts'
// n rows after them; each token then adds its experts' outputs in expert order, as the loop above does.
bool Model::moe_grouped(int64_t n) const {
  const int64_t rows = n * (config_.num_experts_per_tok + 1);  // routed slots and the shared experts' rows
  return rows <= settings_.moe_group_rows && rows <= settings_.max_batch_tokens;
}

void Model::moe_experts_grouped(const MoeWeights& w, const Tensor& xn, int64_t n, Tensor& out) {
  const ModelConfig& c = config_;
  const kernels::KernelContext ctx = kctx();
  const int64_t E = c.n_routed_experts, k = c.num_experts_per_tok, routed = n * k;
  const std::vector<int32_t>& offsets = act_.expert_offsets;
  const std::vector<int32_t>& slots = act_.expert_rows;

  // x of routed row r is its token's; one token's experts all read xn in place (one quantisation).
  Tensor gathered = rows(act_.expert_x, routed);
  if (n > 1) gather_tokens(xn, slots.data(), routed, k, gathered);
  // Each expert in use (the shared ones last): its x and rows row0 .. row0 + count of the buffers.
  std::vector<GroupedExpert>& experts = act_.grouped_experts;
  size_t used = 0;
  const auto add_expert = [&](const FfnWeights& f, const Tensor& x, int64_t row0, int64_t count) {
    const int64_t inter = f.gate.dim(0);
    experts[used++] = {&f, x, act_.ffn_gate.narrow(0, row0, count).narrow(1, 0, inter),
                       act_.ffn_up.narrow(0, row0, count).narrow(1, 0, inter),
                       act_.expert_y.narrow(0, row0, count)};
  };
  for (int64_t e = 0; e < E; ++e) {
    const int32_t begin = offsets[e], count = offsets[e + 1] - begin;
    if (count == 0) continue;
    const Tensor x = n == 1 ? xn : gathered.narrow(0, begin, count);
    add_expert(w.experts[static_cast<size_t>(e)], x, begin, count);
  }
  const bool shared = c.n_shared_experts > 0;
  if (shared) add_expert(w.shared, xn, routed, n);

  std::vector<kernels::MatmulTerm>& terms = act_.expert_terms;
  for (size_t i = 0; i < used; ++i) {
    terms[2 * i] = {&experts[i].x, &experts[i].w->gate, &experts[i].gate};
    terms[2 * i + 1] = {&experts[i].x, &experts[i].w->up, &experts[i].up};
  }
  kernels::matmul_group(ctx, terms.data(), static_cast<int>(2 * used));
  // h = silu(gate) ⊙ up (the routed experts share one width, so one call), then down.
  Tensor routed_gate = act_.ffn_gate.narrow(0, 0, routed).narrow(1, 0, c.moe_intermediate_size);
  Tensor routed_up = act_.ffn_up.narrow(0, 0, routed).narrow(1, 0, c.moe_intermediate_size);
  kernels::swiglu(ctx, routed_gate, routed_up, routed_gate);
  if (shared) kernels::swiglu(ctx, experts[used - 1].gate, experts[used - 1].up, experts[used - 1].gate);
  for (size_t i = 0; i < used; ++i) terms[i] = {&experts[i].gate, &experts[i].w->down, &experts[i].y};
  kernels::matmul_group(ctx, terms.data(), static_cast<int>(used));

  // out (zeroed by moe_forward) += Σ_i g_i · Expert_i(x) + Shared(x).
  add_weighted(act_.expert_y, slots.data(), routed, k, act_.route_w.data(), out);
  if (shared) ops::add_inplace(out, act_.expert_y.narrow(0, routed, n));
}

}  // namespace seek
