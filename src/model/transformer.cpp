// The decoder stack: embedding, pre-norm blocks, final norm and head (architecture.md 1), and the
// MTP module that reuses the same block code (architecture.md 6).
#include "core/error.h"
#include "model/model.h"
#include "model/tensor_ops.h"

namespace seek {

using ops::rows;

void Model::block_forward(const BlockWeights& b, int64_t layer_idx, Tensor& x, int64_t n, KvCache& cache,
                          int64_t pos0) {
  const kernels::KernelContext ctx = kctx();
  const float eps = static_cast<float>(config_.rms_norm_eps);
  Tensor xn = rows(act_.xn, n);
  Tensor delta = rows(act_.ffn_out, n);

  // h = h + Attention(RMSNorm(h))
  kernels::rmsnorm(ctx, x, b.attn_norm, eps, xn);
  if (config_.has_mla())
    mla_forward(b.mla, layer_idx, xn, n, cache, pos0, delta);
  else
    gqa_forward(b.gqa, layer_idx, xn, n, cache, pos0, delta);
  ops::add_inplace(x, delta);

  // h = h + FFN(RMSNorm(h)), FFN dense or DeepSeekMoE
  kernels::rmsnorm(ctx, x, b.ffn_norm, eps, xn);
  if (b.is_moe)
    moe_forward(b.moe, xn, n, delta);
  else
    ffn_forward(b.ffn, xn, delta);
  ops::add_inplace(x, delta);
}

void Model::lm_head_forward(const Tensor& hidden, const Tensor& head, int64_t n_rows, float* logits) {
  Tensor out = Tensor::view_of(logits, DType::kF32, {n_rows, config_.vocab_size}, nullptr);
  kernels::matmul(kctx(), hidden, head, out);
}

void Model::forward(const int32_t* tokens, int64_t n, KvCache& cache, float* logits, bool all_logits) {
  const int64_t pos0 = cache.length();
  SEEK_CHECK(n >= 1 && n <= settings_.max_batch_tokens,
             "forward: " << n << " tokens in one call; the limit is " << settings_.max_batch_tokens);
  SEEK_CHECK(pos0 + n <= cache.capacity(), "context full: " << pos0 << " + " << n << " tokens exceed the cache's "
                                                            << cache.capacity() << " positions");
  int32_t* pos = act_.positions.data_as<int32_t>();
  for (int64_t i = 0; i < n; ++i) pos[i] = static_cast<int32_t>(pos0 + i);

  Tensor x = rows(act_.x, n);
  ops::embedding_lookup(weights_.embed, tokens, n, x);
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l)
    block_forward(weights_.blocks[static_cast<size_t>(l)], l, x, n, cache, pos0);
  cache.length_ = pos0 + n;
  last_pos0_ = pos0;
  last_n_ = n;

  Tensor hidden = rows(act_.hidden_out, n);
  kernels::rmsnorm(kctx(), x, weights_.final_norm, static_cast<float>(config_.rms_norm_eps), hidden);
  if (all_logits)
    lm_head_forward(hidden, weights_.lm_head, n, logits);
  else
    lm_head_forward(hidden.narrow(0, n - 1, 1), weights_.lm_head, 1, logits);
}

void Model::forward_mtp(int depth, const int32_t* next_tokens, int64_t n, KvCache& cache, float* logits) {
  SEEK_CHECK(depth >= 0 && depth < static_cast<int>(weights_.mtp.size()),
             "this model has " << weights_.mtp.size() << " MTP modules; module " << depth << " requested");
  SEEK_CHECK(n >= 1 && n <= last_n_, "forward_mtp: " << n << " rows, but the last forward() had " << last_n_);
  const MtpWeights& m = weights_.mtp[static_cast<size_t>(depth)];
  const kernels::KernelContext ctx = kctx();
  const float eps = static_cast<float>(config_.rms_norm_eps);
  const int64_t d = config_.hidden_size;

  // h' = eh_proj([enorm(Emb(t+1)) ; hnorm(h_t)]): embedding first, as deployed (architecture.md 6).
  Tensor in = rows(act_.mtp_in, n);  // [n, 2d]
  Tensor emb = rows(act_.xn, n);
  ops::embedding_lookup(m.embed, next_tokens, n, emb);
  Tensor in_e = in.narrow(1, 0, d), in_h = in.narrow(1, d, d);
  kernels::rmsnorm(ctx, emb, m.enorm, eps, in_e);
  kernels::rmsnorm(ctx, rows(act_.hidden_out, n), m.hnorm, eps, in_h);
  Tensor x = rows(act_.x, n);
  kernels::matmul(ctx, in, m.eh_proj, x);

  // The MTP block attends over its own cache layer at the same positions as the main rows.
  const int64_t layer_idx = config_.num_hidden_layers + depth;
  block_forward(m.block, layer_idx, x, n, cache, last_pos0_);
  Tensor h = rows(act_.xn, n);
  kernels::rmsnorm(ctx, x, m.head_norm, eps, h);
  lm_head_forward(h, m.head, n, logits);
}

}  // namespace seek
