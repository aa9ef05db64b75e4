// Multi-head Latent Attention (architecture.md 2), both forms over one cache of
// [c_KV (kv_lora_rank, normalised) ; k_pe (qk_rope_head_dim, roped)] per token.
#include "core/error.h"
#include "kernels/attention.h"
#include "model/model.h"
#include "model/tensor_ops.h"

namespace seek {

using ops::rows;

void Model::mla_forward(const MlaWeights& w, int64_t layer_idx, const Tensor& xn, int64_t n_rows, Tensor& out) {
  const ModelConfig& c = config_;
  const kernels::KernelContext ctx = kctx();
  const int64_t H = c.num_attention_heads, nope = c.qk_nope_head_dim, rope = c.qk_rope_head_dim;
  const int64_t vd = c.v_head_dim, rank = c.kv_lora_rank;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const Tensor positions = rows(act_.positions, n_rows);
  const kernels::RopeParams rope_params{rope_style_, rope_.attn_factor};

  // 1. Query: q = W_q x, or W_qb · RMSNorm(W_qa x); rope on each head's last 64 values.
  // 2. Latent: [c_raw ; k_pe_raw] = W_kva x; each sequence caches RMSNorm(c_raw) and RoPE(k_pe_raw)
  // (no norm on k_pe) at its own positions. The products of x go to the pool together.
  Tensor q = rows(act_.q, n_rows);  // [rows, H, nope + rope]
  Tensor q_flat = q.reshape({n_rows, H * (nope + rope)});
  Tensor kv_a = rows(act_.kv_a, n_rows);
  if (c.q_lora_rank) {
    Tensor q_a = rows(act_.q_a, n_rows);
    kernels::matmul_group(ctx, {{&xn, &w.wq_a, &q_a}, {&xn, &w.wkv_a, &kv_a}});
    kernels::rmsnorm(ctx, q_a, w.q_norm, eps, q_a);
    kernels::matmul(ctx, q_a, w.wq_b, q_flat);
  } else {
    kernels::matmul_group(ctx, {{&xn, &w.wq, &q_flat}, {&xn, &w.wkv_a, &kv_a}});
  }
  Tensor q_pe = q.narrow(2, nope, rope);
  kernels::rope(ctx, q_pe, positions, rope_freqs_, rope_params);

  Tensor c_all = kv_a.narrow(1, 0, rank), k_pe_all = kv_a.narrow(1, rank, rope);
  kernels::rmsnorm(ctx, c_all, w.kv_norm, eps, c_all);
  kernels::rope(ctx, k_pe_all, positions, rope_freqs_, rope_params);
  for (const BatchSequence& s : batch_) {
    Tensor new_rows = s.cache->latent(layer_idx).select(1, 0).narrow(0, s.pos0, s.n);  // [n, rank + rope]
    ops::convert_into(new_rows, kv_a.narrow(0, s.row0, s.n));
  }

  Tensor attn_out = rows(act_.attn_out, n_rows);  // [rows, H, vd]
  if (settings_.mla_form == MlaForm::kNaive) {
    SEEK_CHECK(w.wkv_b.defined(), "the naive MLA form needs kv_b_proj whole; this model was loaded for the absorbed "
                                  "form from a file storing it split (attn_k_b/attn_v_b): load it with the naive form");
    // 3n. kv_j = W_kvb c_j for every cached j of the sequence: per head [k_nope ; v]; keys are
    // [k_nope ; k_pe] with the one rope key shared by all heads.
    for (const BatchSequence& s : batch_) {
      const int64_t T = s.pos0 + s.n;
      Tensor seen = s.cache->latent(layer_idx).select(1, 0).narrow(0, 0, T);
      if (seen.dtype() != DType::kF32) {  // the matmul below reads f32 rows
        Tensor wide = rows(act_.latent_f32, T);
        ops::convert_into(wide, seen);
        seen = wide;
      }
      Tensor kv = rows(act_.kv_full, T);  // [T, H, nope + vd]
      Tensor kv_flat = kv.reshape({T, H * (nope + vd)});
      kernels::matmul(ctx, seen.narrow(1, 0, rank), w.wkv_b, kv_flat);
      Tensor k = rows(act_.k_full, T);  // [T, H, nope + rope]
      Tensor k_nope = k.narrow(2, 0, nope);
      ops::copy_into(k_nope, kv.narrow(2, 0, nope));
      for (int64_t h = 0; h < H; ++h) {
        Tensor k_pe_h = k.select(1, h).narrow(1, nope, rope);
        ops::copy_into(k_pe_h, seen.narrow(1, rank, rope));
      }
      Tensor out_s = attn_out.narrow(0, s.row0, s.n);
      kernels::attention(ctx, q.narrow(0, s.row0, s.n), k, kv.narrow(2, nope, vd), positions.narrow(0, s.row0, s.n),
                         {attn_scale_, H, H}, out_s);
    }
  } else {
    // 3a. Absorbed: q_lat[h] = W_UK[h]ᵀ q_nope[h]; attend over [c ; k_pe] as one shared KV head
    // (key 576 wide, value = the latent c itself); then o[h] = W_UV[h] u[h].
    Tensor q_abs = rows(act_.q_abs, n_rows);  // [rows, H, rank + rope]
    Tensor q_lat = q_abs.narrow(2, 0, rank);
    if (w.w_uk_t.defined()) {
      kernels::matmul_heads(ctx, q.narrow(2, 0, nope), w.w_uk_t, q_lat);
    } else {
      kernels::matmul_heads_nn(ctx, q.narrow(2, 0, nope), w.w_uk, q_lat);
    }
    Tensor q_abs_pe = q_abs.narrow(2, rank, rope);
    ops::copy_into(q_abs_pe, q_pe);
    Tensor u = rows(act_.attn_latent, n_rows);  // [rows, H, rank]
    for (const BatchSequence& s : batch_) {
      const Tensor kv = s.cache->latent(layer_idx).narrow(0, 0, s.pos0 + s.n);  // [T, 1, rank + rope]
      Tensor u_s = u.narrow(0, s.row0, s.n);
      kernels::attention(ctx, q_abs.narrow(0, s.row0, s.n), kv, kv.narrow(2, 0, rank),
                         positions.narrow(0, s.row0, s.n), {attn_scale_, H, 1}, u_s);
    }
    kernels::matmul_heads(ctx, u, w.w_uv, attn_out);  // per head [vd, rank]
  }
  // 4. out = W_o · concat_h o[h]
  kernels::matmul(ctx, attn_out.reshape({n_rows, H * vd}), w.wo, out);
}

void Model::gqa_forward(const GqaWeights& w, int64_t layer_idx, const Tensor& xn, int64_t n_rows, Tensor& out) {
  const ModelConfig& c = config_;
  const kernels::KernelContext ctx = kctx();
  const int64_t H = c.num_attention_heads, kvh = c.num_key_value_heads, hd = c.head_dim;
  const Tensor positions = rows(act_.positions, n_rows);
  const kernels::RopeParams rope_params{rope_style_, rope_.attn_factor};

  Tensor q = rows(act_.q, n_rows);            // [rows, H, hd]
  Tensor k_new = rows(act_.k_new, n_rows);    // [rows, kvh, hd]
  Tensor v_new = rows(act_.v_new, n_rows);
  Tensor q_flat = q.reshape({n_rows, H * hd}), k_flat = k_new.reshape({n_rows, kvh * hd});
  Tensor v_flat = v_new.reshape({n_rows, kvh * hd});
  kernels::matmul_group(ctx, {{&xn, &w.wq, &q_flat}, {&xn, &w.wk, &k_flat}, {&xn, &w.wv, &v_flat}});
  if (w.bq.defined()) {
    ops::add_bias(q_flat, w.bq);
    ops::add_bias(k_flat, w.bk);
    ops::add_bias(v_flat, w.bv);
  }
  kernels::rope(ctx, q, positions, rope_freqs_, rope_params);
  kernels::rope(ctx, k_new, positions, rope_freqs_, rope_params);

  Tensor attn_out = rows(act_.attn_out, n_rows);  // [rows, H, hd]
  for (const BatchSequence& s : batch_) {
    Tensor k_dst = s.cache->k(layer_idx).narrow(0, s.pos0, s.n), v_dst = s.cache->v(layer_idx).narrow(0, s.pos0, s.n);
    ops::convert_into(k_dst, k_new.narrow(0, s.row0, s.n));
    ops::convert_into(v_dst, v_new.narrow(0, s.row0, s.n));
    const int64_t T = s.pos0 + s.n;
    Tensor out_s = attn_out.narrow(0, s.row0, s.n);
    kernels::attention(ctx, q.narrow(0, s.row0, s.n), s.cache->k(layer_idx).narrow(0, 0, T),
                       s.cache->v(layer_idx).narrow(0, 0, T), positions.narrow(0, s.row0, s.n), {attn_scale_, H, kvh},
                       out_s);
  }
  kernels::matmul(ctx, attn_out.reshape({n_rows, H * hd}), w.wo, out);
}

}  // namespace seek
