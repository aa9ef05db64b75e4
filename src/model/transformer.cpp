// The decoder stack: embedding, pre-norm blocks, final norm and head (architecture.md 1), over a
// batch of sequences, and the MTP module that reuses the same block code (architecture.md 6).
#include <cstring>

#include "core/error.h"
#include "model/model.h"
#include "model/tensor_ops.h"

namespace seek {

using ops::rows;

void Model::block_forward(const BlockWeights& b, int64_t layer_idx, Tensor& x, int64_t n_rows) {
  const kernels::KernelContext ctx = kctx();
  const float eps = static_cast<float>(config_.rms_norm_eps);
  Tensor xn = rows(act_.xn, n_rows);
  Tensor delta = rows(act_.ffn_out, n_rows);

  // h = h + Attention(RMSNorm(h))
  kernels::rmsnorm(ctx, x, b.attn_norm, eps, xn);
  if (config_.has_mla())
    mla_forward(b.mla, layer_idx, xn, n_rows, delta);
  else
    gqa_forward(b.gqa, layer_idx, xn, n_rows, delta);
  ops::add_inplace(x, delta);

  // h = h + FFN(RMSNorm(h)), FFN dense or DeepSeekMoE
  kernels::rmsnorm(ctx, x, b.ffn_norm, eps, xn);
  if (b.is_moe)
    moe_forward(b.moe, xn, n_rows, delta);
  else
    ffn_forward(b.ffn, xn, delta);
  ops::add_inplace(x, delta);
}

void Model::lm_head_forward(const Tensor& hidden, const Tensor& head, int64_t n_rows, float* logits) {
  Tensor out = Tensor::view_of(logits, DType::kF32, {n_rows, config_.vocab_size}, nullptr);
  kernels::matmul(kctx(), hidden, head, out);
}

void Model::forward(const int32_t* tokens, int64_t n, KvCache& cache, float* logits, bool all_logits) {
  const SequenceInput seq{tokens, n, &cache, logits, all_logits};
  forward_batch(std::span<const SequenceInput>(&seq, 1));
}

void Model::forward_batch(std::span<const SequenceInput> seqs) {
  SEEK_CHECK(!seqs.empty(), "forward: no sequences");
  batch_.clear();
  int64_t n_rows = 0;
  for (const SequenceInput& s : seqs) {
    SEEK_CHECK(s.n >= 1 && s.cache != nullptr, "forward: every sequence needs a cache and at least one token");
    const int64_t pos0 = s.cache->length();
    SEEK_CHECK(pos0 + s.n <= s.cache->capacity(), "context full: " << pos0 << " + " << s.n
                                                                   << " tokens exceed the cache's "
                                                                   << s.cache->capacity() << " positions");
    for (const BatchSequence& other : batch_)
      SEEK_CHECK(other.cache != s.cache, "forward: the same cache appears twice in one batch");
    SEEK_CHECK(n_rows + s.n <= settings_.max_batch_tokens, "forward: " << n_rows + s.n << " tokens in one pass; the limit is "
                                                                       << settings_.max_batch_tokens);
    batch_.push_back(BatchSequence{n_rows, s.n, pos0, s.cache});
    n_rows += s.n;
  }
  int32_t* pos = act_.positions.data_as<int32_t>();
  Tensor x = rows(act_.x, n_rows);
  for (size_t i = 0; i < seqs.size(); ++i) {
    const BatchSequence& b = batch_[i];
    for (int64_t j = 0; j < b.n; ++j) pos[b.row0 + j] = static_cast<int32_t>(b.pos0 + j);
    Tensor x_seq = x.narrow(0, b.row0, b.n);
    ops::embedding_lookup(weights_.embed, seqs[i].tokens, b.n, x_seq);
  }
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l)
    block_forward(weights_.blocks[static_cast<size_t>(l)], l, x, n_rows);
  for (const BatchSequence& b : batch_) b.cache->length_ = b.pos0 + b.n;
  last_pos0_ = seqs.size() == 1 ? batch_[0].pos0 : -1;
  last_n_ = seqs.size() == 1 ? batch_[0].n : 0;
  last_cache_ = seqs.size() == 1 ? batch_[0].cache : nullptr;

  Tensor hidden = rows(act_.hidden_out, n_rows);
  kernels::rmsnorm(kctx(), x, weights_.final_norm, static_cast<float>(config_.rms_norm_eps), hidden);
  // Gather the rows that want logits so the head's weights are read once for the whole batch.
  int64_t n_out = 0;
  const size_t row_bytes = static_cast<size_t>(config_.hidden_size) * sizeof(float);
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (seqs[i].logits == nullptr) continue;
    const BatchSequence& b = batch_[i];
    const int64_t first = seqs[i].all_logits ? b.row0 : b.row0 + b.n - 1;
    for (int64_t r = first; r < b.row0 + b.n; ++r) std::memcpy(act_.head_in.row(n_out++), hidden.row(r), row_bytes);
  }
  if (n_out == 0) return;
  if (seqs.size() == 1) {  // write straight into the caller's buffer
    lm_head_forward(rows(act_.head_in, n_out), weights_.lm_head, n_out, seqs[0].logits);
    return;
  }
  Tensor logits = rows(act_.logits, n_out);
  kernels::matmul(kctx(), rows(act_.head_in, n_out), weights_.lm_head, logits);
  const size_t vocab_bytes = static_cast<size_t>(config_.vocab_size) * sizeof(float);
  int64_t r = 0;
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (seqs[i].logits == nullptr) continue;
    const int64_t count = seqs[i].all_logits ? batch_[i].n : 1;
    std::memcpy(seqs[i].logits, logits.row(r), vocab_bytes * static_cast<size_t>(count));
    r += count;
  }
}

void Model::forward_mtp(int depth, const int32_t* next_tokens, int64_t n, KvCache& cache, float* logits,
                        bool all_logits) {
  SEEK_CHECK(depth >= 0 && depth < static_cast<int>(weights_.mtp.size()),
             "this model has " << weights_.mtp.size() << " MTP modules; module " << depth << " requested");
  SEEK_CHECK(last_pos0_ >= 0 && last_cache_ == &cache,
             "forward_mtp: the last forward() must have run this one sequence");
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
  batch_.assign(1, BatchSequence{0, n, last_pos0_, &cache});
  block_forward(m.block, config_.num_hidden_layers + depth, x, n);
  Tensor h = rows(act_.xn, n);
  kernels::rmsnorm(ctx, x, m.head_norm, eps, h);
  if (all_logits)
    lm_head_forward(h, m.head, n, logits);
  else
    lm_head_forward(h.narrow(0, n - 1, 1), m.head, 1, logits);
}

}  // namespace seek
