// Scaled dot-product attention of a chunk of queries over a KV cache, causal by position.
//
// One op covers every form seek runs:
//   MHA  (naive MLA: dk 192, dv 128)           num_kv_heads == num_heads
//   GQA  (Qwen2, Llama)                        num_heads % num_kv_heads == 0
//   MQA  (absorbed MLA: dk 576, dv 512, with v a view of the first 512 values of k)
//
// Query i sits at position q_positions[i] and sees keys 0..q_positions[i] (key j is position j).
// Scores are formed and soft-maxed in f32.
//
// Implementations (ctx.level): the reference (kernels/ref/attention_ref.cpp) is the plain definition,
// one score row per (query, head). The AVX2/AVX-512 levels run flash attention
// (kernels/attention_flash.cpp): one pass over the keys with an online softmax, in blocks of query
// rows that share a kv head, so each key and value row is read once per block for all its heads (for
// MQA decode: once for all H heads). When there are fewer such blocks than threads, the key range
// is split across threads and the partial results merged by log-sum-exp.
#pragma once

#include "kernels/kernels.h"

namespace seek::kernels {

struct AttentionParams {
  float scale = 1.0f;        // softmax scale applied to q·k
  int64_t num_heads = 0;     // query heads H
  int64_t num_kv_heads = 0;  // key/value heads; query head h reads kv head h / (H / num_kv_heads)
};

// q: [n_q, H, dk] f32; k: [T, Hkv, dk] and v: [T, Hkv, dv], both f32 or both bf16 (a bf16 KV cache);
// out: [n_q, H, dv] f32. Innermost rows contiguous, other strides free (v may be a view into k's
// rows). q_positions: [n_q] i32 with every position < T. out must not overlap q, k or v.
//
// Precision: f32 K/V: f32 rounding and a ~2 ulp exp only (relative L2 error ~1e-6 against the
// reference). bf16 K/V are widened to f32 exactly, so the same holds against the reference run on
// the same bf16 cache.
//
// Scratch: the op always runs with attention_scratch_bytes(ctx, T) bytes free in ctx.scratch. The
// split of the key range across threads (decode with few query rows per kv head) takes its partial
// results from ctx.scratch as well and is skipped when they do not fit: size the arena with
// attention_scratch_bytes(ctx, AttentionSizes) to always have it.
void attention(const KernelContext& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& q_positions, const AttentionParams& params, Tensor& out);

// The largest call an arena must serve.
struct AttentionSizes {
  int64_t max_queries = 0;   // n_q
  int64_t num_heads = 0;     // H
  int64_t num_kv_heads = 0;  // Hkv
  int64_t dv = 0;            // value width
  int64_t max_keys = 0;      // T
};

// Exact upper bound of the scratch attention() takes for any call within `sizes` at ctx.level with
// ctx.pool's threads, key splitting included.
size_t attention_scratch_bytes(const KernelContext& ctx, const AttentionSizes& sizes);
// The scratch attention() needs at least for up to max_keys keys (no key splitting at the fast
// levels; the reference's score rows).
size_t attention_scratch_bytes(const KernelContext& ctx, int64_t max_keys);

}  // namespace seek::kernels
