// Multi-head Latent Attention (architecture.md 2), both forms over one cache of
// [c_KV (kv_lora_rank, normalised) ; k_pe (qk_rope_head_dim, roped)] per token.
#include "core/error.h"
#include "kernels/attention.h"
#include "model/model.h"
#include "model/tensor_ops.h"

namespace seek {

using ops::rows;

void Model::mla_forward(const MlaWeights& w, int64_t layer_idx, const Tensor& xn, int64_t n, KvCache& cache,
                        int64_t pos0, Tensor& out) {
  const ModelConfig& c = config_;
  const kernels::KernelContext ctx = kctx();
  const int64_t H = c.num_attention_heads, nope = c.qk_nope_head_dim, rope = c.qk_rope_head_dim;
  const int64_t vd = c.v_head_dim, rank = c.kv_lora_rank, T = pos0 + n;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const Tensor positions = rows(act_.positions, n);
  const kernels::RopeParams rope_params{rope_style_, rope_.attn_factor};

  // 1. Query: q = W_q x, or W_qb · RMSNorm(W_qa x); rope on each head's last 64 values.
  Tensor q = rows(act_.q, n);  // [n, H, nope + rope]
  Tensor q_flat = q.reshape({n, H * (nope + rope)});
  if (c.q_lora_rank) {
    Tensor q_a = rows(act_.q_a, n);
    kernels::matmul(ctx, xn, w.wq_a, q_a);
    kernels::rmsnorm(ctx, q_a, w.q_norm, eps, q_a);
    kernels::matmul(ctx, q_a, w.wq_b, q_flat);
  } else {
    kernels::matmul(ctx, xn, w.wq, q_flat);
  }
  Tensor q_pe = q.narrow(2, nope, rope);
  kernels::rope(ctx, q_pe, positions, rope_freqs_, rope_params);

  // 2. Latent: [c_raw ; k_pe_raw] = W_kva x; cache RMSNorm(c_raw) and RoPE(k_pe_raw) (no norm on k_pe).
  Tensor kv_a = rows(act_.kv_a, n);
  kernels::matmul(ctx, xn, w.wkv_a, kv_a);
  Tensor cache_rows = cache.latent(layer_idx).select(1, 0);  // [capacity, rank + rope]
  Tensor new_rows = cache_rows.narrow(0, pos0, n);
  Tensor c_new = new_rows.narrow(1, 0, rank);
  kernels::rmsnorm(ctx, kv_a.narrow(1, 0, rank), w.kv_norm, eps, c_new);
  Tensor k_pe_new = new_rows.narrow(1, rank, rope);
  ops::copy_into(k_pe_new, kv_a.narrow(1, rank, rope));
  kernels::rope(ctx, k_pe_new, positions, rope_freqs_, rope_params);

  const Tensor seen = cache_rows.narrow(0, 0, T);  // every cached position this chunk attends to
  const Tensor c_seen = seen.narrow(1, 0, rank), k_pe_seen = seen.narrow(1, rank, rope);
  Tensor attn_out = rows(act_.attn_out, n);  // [n, H, vd]
  const kernels::AttentionParams attn{attn_scale_, H, H};

  if (settings_.mla_form == MlaForm::kNaive) {
    // 3n. kv_j = W_kvb c_j for every cached j: per head [k_nope ; v]; keys are [k_nope ; k_pe] with the
    // one rope key shared by all heads.
    Tensor kv = rows(act_.kv_full, T);  // [T, H, nope + vd]
    Tensor kv_flat = kv.reshape({T, H * (nope + vd)});
    kernels::matmul(ctx, c_seen, w.wkv_b, kv_flat);
    Tensor k = rows(act_.k_full, T);  // [T, H, nope + rope]
    Tensor k_nope = k.narrow(2, 0, nope);
    ops::copy_into(k_nope, kv.narrow(2, 0, nope));
    for (int64_t h = 0; h < H; ++h) {
      Tensor k_pe_h = k.select(1, h).narrow(1, nope, rope);
      ops::copy_into(k_pe_h, k_pe_seen);
    }
    kernels::attention(ctx, q, k, kv.narrow(2, nope, vd), positions, attn, attn_out);
  } else {
    // 3a. Absorbed: q_lat[h] = W_UK[h]ᵀ q_nope[h]; attend over [c ; k_pe] as one shared KV head
    // (key 576 wide, value = the latent c itself); then o[h] = W_UV[h] u[h].
    Tensor q_abs = rows(act_.q_abs, n);  // [n, H, rank + rope]
    for (int64_t h = 0; h < H; ++h) {
      Tensor q_lat_h = q_abs.select(1, h).narrow(1, 0, rank);
      kernels::matmul(ctx, q.select(1, h).narrow(1, 0, nope), w.w_uk_t.select(0, h), q_lat_h);
    }
    Tensor q_abs_pe = q_abs.narrow(2, rank, rope);
    ops::copy_into(q_abs_pe, q_pe);
    const Tensor kv = cache.latent(layer_idx).narrow(0, 0, T);  // [T, 1, rank + rope]
    Tensor u = rows(act_.attn_latent, n);                        // [n, H, rank]
    kernels::attention(ctx, q_abs, kv, kv.narrow(2, 0, rank), positions, {attn_scale_, H, 1}, u);
    for (int64_t h = 0; h < H; ++h) {
      const Tensor w_uv_h = w.wkv_b.narrow(0, h * (nope + vd) + nope, vd);  // [vd, rank]
      Tensor o_h = attn_out.select(1, h);
      kernels::matmul(ctx, u.select(1, h), w_uv_h, o_h);
    }
  }
  // 4. out = W_o · concat_h o[h]
  kernels::matmul(ctx, attn_out.reshape({n, H * vd}), w.wo, out);
}

void Model::gqa_forward(const GqaWeights& w, int64_t layer_idx, const Tensor& xn, int64_t n, KvCache& cache,
                        int64_t pos0, Tensor& out) {
  const ModelConfig& c = config_;
  const kernels::KernelContext ctx = kctx();
  const int64_t H = c.num_attention_heads, kvh = c.num_key_value_heads, hd = c.head_dim, T = pos0 + n;
  const Tensor positions = rows(act_.positions, n);
  const kernels::RopeParams rope_params{rope_style_, rope_.attn_factor};

  Tensor q = rows(act_.q, n);            // [n, H, hd]
  Tensor k_new = rows(act_.k_new, n);    // [n, kvh, hd]
  Tensor v_new = rows(act_.v_new, n);
  Tensor q_flat = q.reshape({n, H * hd}), k_flat = k_new.reshape({n, kvh * hd}), v_flat = v_new.reshape({n, kvh * hd});
  kernels::matmul(ctx, xn, w.wq, q_flat);
  kernels::matmul(ctx, xn, w.wk, k_flat);
  kernels::matmul(ctx, xn, w.wv, v_flat);
  if (w.bq.defined() && w.bq.numel() > 0) {
    ops::add_bias(q_flat, w.bq);
    ops::add_bias(k_flat, w.bk);
    ops::add_bias(v_flat, w.bv);
  }
  kernels::rope(ctx, q, positions, rope_freqs_, rope_params);
  kernels::rope(ctx, k_new, positions, rope_freqs_, rope_params);
  Tensor k_dst = cache.k(layer_idx).narrow(0, pos0, n), v_dst = cache.v(layer_idx).narrow(0, pos0, n);
  ops::copy_into(k_dst, k_new);
  ops::copy_into(v_dst, v_new);

  Tensor attn_out = rows(act_.attn_out, n);  // [n, H, hd]
  kernels::attention(ctx, q, cache.k(layer_idx).narrow(0, 0, T), cache.v(layer_idx).narrow(0, 0, T), positions,
                     {attn_scale_, H, kvh}, attn_out);
  kernels::matmul(ctx, attn_out.reshape({n, H * hd}), w.wo, out);
}

}  // namespace seek
