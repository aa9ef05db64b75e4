// Differentiable ops: each runs the inference kernels forward and records its backward on the tape.
//
// Shapes: activations are 2-D [rows, width] f32 (heads packed along the width, e.g. q is
// [rows, H * qk_head_dim]); a batch of B sequences of T tokens is B*T rows, sequence-major.
// Gradients of every op are checked by central finite differences in tests/unit/train.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "formats/model_config.h"
#include "kernels/kernels.h"
#include "train/tape.h"

namespace seek::train {

// y = x · wᵀ: x [m, k], w [n, k] -> [m, n] (kernels::matmul).
Var matmul(Tape& t, Var x, Var w);
// a + b, same shape.
Var add(Tape& t, Var a, Var b);
// y[i, :] = x[i, :] + bias.
Var add_bias(Tape& t, Var x, Var bias);
// RMSNorm over rows (kernels::rmsnorm).
Var rmsnorm(Tape& t, Var x, Var w, float eps);
// silu(gate) ⊙ up (kernels::swiglu).
Var swiglu(Tape& t, Var gate, Var up);
// rows of `table` [vocab, d] picked by ids -> [n, d]; ids are checked against the vocabulary.
Var embedding(Tape& t, Var table, std::span<const int32_t> ids);
// RoPE (kernels::rope) on columns [offset, offset + 2 * freqs) of each of `heads` equal column
// blocks of x [rows, heads * head_dim]; row i sits at positions[i].
Var rope(Tape& t, Var x, int64_t heads, int64_t offset, const Tensor& positions, const Tensor& freqs,
         const kernels::RopeParams& params);
// Columns [start, start + len) of x [rows, width].
Var slice_cols(Tape& t, Var x, int64_t start, int64_t len);
// [a | b] along columns: a [rows, wa], b [rows, wb] -> [rows, wa + wb].
Var concat_cols(Tape& t, Var a, Var b);
// x[rows[i], :] for each i.
Var gather_rows(Tape& t, Var x, std::vector<int32_t> rows);

// MLA's per-head keys and values from the up-projected latent (architecture.md 2.2):
// kv [rows, H * (nope + vd)] holds per head [k_nope ; v]; k_pe [rows, rope] is the single roped key
// part every head shares. Returns k [rows, H * (nope + rope)] = per head [k_nope ; k_pe] and
// v [rows, H * vd].
struct KeysValues {
  Var k, v;
};
KeysValues mla_keys_values(Tape& t, Var kv, Var k_pe, int64_t heads, int64_t nope, int64_t v_dim);

// Causal softmax attention inside each of `batch` sequences of `seq` rows (positions 0..seq-1):
// q [B*T, H * dk], k [B*T, Hkv * dk], v [B*T, Hkv * dv] -> [B*T, H * dv] (kernels::attention).
struct AttentionShape {
  int64_t batch = 1, seq = 1, heads = 1, kv_heads = 1, dk = 0, dv = 0;
  float scale = 1.0f;
  // Never keep the probabilities for the backward pass (recompute them there), as for layers whose
  // B·H·T² floats exceed the budget in ops_attention.cpp.
  bool recompute = false;
};
Var attention(Tape& t, Var q, Var k, Var v, const AttentionShape& shape);

// Mean over rows with targets[i] >= 0 of -log softmax(logits[i])[targets[i]]; -1 ignores a row.
// A scalar [1] (0 when no row counts).
Var cross_entropy(Tape& t, Var logits, std::span<const int32_t> targets);

// ---- DeepSeekMoE (architecture.md 5) ----
// Router scores s from logits [n, E]: softmax over experts (V2) or sigmoid (V3).
Var router_scores(Tape& t, Var logits, ScoringFunc func);
// Gate weights [n, k] of the chosen experts idx [n * k]: g = s[idx], divided by their sum when
// `normalize`, times `scale`. Selection itself has no gradient; the weights do.
Var gate_weights(Tape& t, Var scores, std::span<const int32_t> idx, int64_t k, bool normalize, float scale);
// Σ over slots of gates[slot] · expert_out[e][r]: expert e's output rows r belong to slots
// slots[e][r] (slot = token * k + choice). Returns [n, d].
Var moe_combine(Tape& t, const std::vector<Var>& expert_out, const std::vector<std::vector<int32_t>>& slots,
                Var gates, int64_t n, int64_t d, int64_t k);
// DeepSeek-V3's sequence-wise balance loss (training.md 3.2), mean over the `batch` sequences of
// Σ_i f_i P_i, with f_i = E / (k T) · #{t : i chosen} (no gradient) and P_i = mean_t s_{i,t} / Σ_j s_{j,t}.
Var balance_loss(Tape& t, Var scores, std::span<const int32_t> idx, int64_t batch, int64_t seq, int64_t k);

// Σ w_i · x_i over scalars.
Var weighted_sum(Tape& t, const std::vector<Var>& xs, const std::vector<float>& weights);

}  // namespace seek::train
