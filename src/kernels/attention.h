// Scaled dot-product attention of a chunk of queries over a KV cache, causal by position.
//
// One op covers every form seek runs:
//   MHA  (naive MLA: dk 192, dv 128)           num_kv_heads == num_heads
//   GQA  (Qwen2, Llama)                        num_heads % num_kv_heads == 0
//   MQA  (absorbed MLA: dk 576, dv 512, with v a view of the first 512 values of k)
//
// Query i sits at position q_positions[i] and sees keys 0..q_positions[i] (key j is position j).
// Scores are formed and soft-maxed in f32. Work splits over (query, head) pairs; each thread keeps
// its score row in ctx.scratch (attention_scratch_bytes()).
#pragma once

#include "kernels/kernels.h"

namespace seek::kernels {

struct AttentionParams {
  float scale = 1.0f;        // softmax scale applied to q·k
  int64_t num_heads = 0;     // query heads H
  int64_t num_kv_heads = 0;  // key/value heads; query head h reads kv head h / (H / num_kv_heads)
};

// q: [n_q, H, dk]; k: [T, Hkv, dk]; v: [T, Hkv, dv]; out: [n_q, H, dv]; all f32 with contiguous
// innermost rows (other strides free). q_positions: [n_q] i32 with every position < T.
void attention(const KernelContext& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& q_positions, const AttentionParams& params, Tensor& out);

size_t attention_scratch_bytes(const KernelContext& ctx, int64_t max_keys);

}  // namespace seek::kernels
