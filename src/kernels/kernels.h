// The kernel API: every numeric op the model, engine and trainer call.
//
// Each op has three implementations chosen by KernelContext::level:
//   kernels/ref/   the scalar twin: plain loops, the definition the others are tested against;
//   kernels/cpu/   *_avx2.cpp and *_avx512.cpp (AVX-512 BF16 dot products and VNNI int8 where
//                  cpu_features() reports them), compiled with their own ISA flags.
// A level lacking an op falls back to the level below. Callers never see intrinsics.
//
// Conventions: activations are f32 and row-major; weights are [n_out, n_in] rows in any weight dtype
// (f32, f16, bf16, q8_0, q4_0); y = x · Wᵀ. Rows of a tensor may be strided (views), but each row's
// innermost dimension is contiguous. Ops never allocate on the heap: temporaries come from
// ctx.scratch and are released before the op returns.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "core/arena.h"
#include "core/cpu_features.h"
#include "core/tensor.h"

#include "core/thread_pool.h"

namespace seek::kernels {

// Everything an op needs besides its operands.
struct KernelContext {
  ThreadPool* pool = nullptr;               // threads to split work over; required
  Arena* scratch = nullptr;                 // temporaries (e.g. quantised activations); may be
                                            // null for ops that need none
  KernelLevel level = best_kernel_level();  // implementation family to run
};

// y[m, n] = x[m, k] · w[n, k]ᵀ.  x, y: f32. w: f32, f16, bf16, q8_0, q4_0 (k a multiple of 32 for
// the block types). For q8_0/q4_0 weights the fast paths quantise each row of x to q8_0 (as ggml
// does) and use integer dot products; the reference does the same so results agree closely.
//
// x and y are [m, k] / [m, n] (a 1-D tensor is one row); rows may be strided. y must not overlap x.
// Needs ctx.scratch with at least matmul_scratch_bytes(ctx, m, k, w.dtype()) bytes free.
// Precision: f32/f16 weights and bf16 weights with m < kMatmulBf16DotMinRows use f32 activations
// exactly (errors are f32 rounding only). bf16 weights with m >= kMatmulBf16DotMinRows on CPUs with
// AVX-512 BF16 round the activations to bf16 and use VDPBF16PS, as llama.cpp does (relative L2
// error ~1e-3 against exact f32 math). Quantised weights: see above.
void matmul(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y);

// One product of matmul_group: y = x · wᵀ, operands as for matmul().
struct MatmulTerm {
  const Tensor* x;
  const Tensor* w;
  Tensor* y;
};

// Independent products (no term's y may overlap any term's x or y), each with matmul()'s result.
// Decode-sized products share one hand-off to the pool, whose threads take their weight rows as they
// free up, and terms reading the same x for the same weight type share its quantisation: a token's
// few hundred short products otherwise spend a tenth of their time waiting for each other. Others
// (prefill sizes, mixed kernel families) run one by one. Scratch: matmul()'s for each distinct x
// together; a group that finds less free runs one by one.
void matmul_group(const KernelContext& ctx, const MatmulTerm* terms, int count);
inline void matmul_group(const KernelContext& ctx, std::initializer_list<MatmulTerm> terms) {
  matmul_group(ctx, terms.begin(), static_cast<int>(terms.size()));
}

// Upper bound of the scratch bytes matmul() takes for x [m, k] and weights of `wtype` at ctx.level
// with ctx.pool's threads (0 when it needs none). Size arenas with it once, at construction.
size_t matmul_scratch_bytes(const KernelContext& ctx, int64_t m, int64_t k, DType wtype);

// y[m, n] = x[m, k] · w[k, n]: the weights stored input-major (w's rows are inputs), as the
// backward pass needs (dx = dy · W, dW = dyᵀ · x without transposing W or x). All f32; rows may be
// strided. Runs the same packed GEMM micro-kernels as matmul() (AVX-512 and AVX2; scalar: the
// reference). Needs matmul_nn_scratch_bytes(ctx, m, k) bytes of scratch.
// accumulate: y += x · w (a gradient that already holds other terms), instead of y = x · w.
void matmul_nn(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y, bool accumulate = false);
// y[m, n] = x[k, m]ᵀ · w[k, n] (dW = dyᵀ · x without transposing dy): x and w share their row
// index k. Same kernels, levels and scratch as matmul_nn (m = x.dim(1), k = x.dim(0)).
void matmul_tn(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y, bool accumulate = false);
size_t matmul_nn_scratch_bytes(const KernelContext& ctx, int64_t m, int64_t k);

// For every head h: y[:, h, :] = x[:, h, :] · w[h]ᵀ, in one pass over the pool (not one matmul per
// head). x: f32 [m, H, k]; y: f32 [m, H, n]; w: [H, n, k] in any matmul weight type.
// Accepted layouts: every operand's innermost dimension is contiguous; the two outer dimensions of x,
// y and w may have any strides (views). So w may be a stack of per-head [n, k] row blocks cut from
// a larger matrix, e.g. absorbed MLA's W_UV, rows h·256 + 128 .. h·256 + 255 of kv_b_proj [H·256, 512]:
//   kv_b.reshape({H, 256, 512}).narrow(1, 128, 128)   // [H, 128, 512], head stride 256 rows
// Each head's product is computed exactly as matmul() would (same kernels, same precision).
// y must not overlap x. Needs matmul_heads_scratch_bytes(ctx, m, H, k, w.dtype()) bytes of scratch.
void matmul_heads(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y);
size_t matmul_heads_scratch_bytes(const KernelContext& ctx, int64_t m, int64_t num_heads, int64_t k,
                                  DType wtype);

// For every head h: y[:, h, :] = x[:, h, :] · w[h], the weights stored input-major: w [H, k, n] in any
// matmul weight type, each of its k rows n values (whole blocks along n for q8_0/q4_0, so n is a
// multiple of 32). Absorbed MLA's W_UK[h]ᵀ q_nope is this product on rows of kv_b_proj as stored:
//   kv_b.reshape({H, 256, 512}).narrow(1, 0, 128)   // W_UK[h], [H, 128, 512]: y[h] = q_nope[h] · W_UK[h]
// so a file that stores kv_b whole needs no transposed copy. Strides as matmul_heads.
// Precision: x is used exactly (no q8_0 round trip, whatever the weights: the blocks run along n, so
// there is no blockwise integer dot product to make) and weights are dequantised exactly (d · q), so
// errors are f32 rounding only. Needs matmul_heads_nn_scratch_bytes(ctx, m, H, k, w.dtype()) bytes of
// scratch.
void matmul_heads_nn(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y);
size_t matmul_heads_nn_scratch_bytes(const KernelContext& ctx, int64_t m, int64_t num_heads, int64_t k,
                                     DType wtype);

// Batch size from which bf16 weights take the VDPBF16PS path (prefill); below it (decode) the
// weights are widened to f32 exactly, which costs nothing because decode is memory bound.
constexpr int64_t kMatmulBf16DotMinRows = 16;

// y[i, :] = w ⊙ x[i, :] / sqrt(mean(x[i, :]²) + eps).  x, y: f32 [m, d] (may alias); w: f32 [d].
void rmsnorm(const KernelContext& ctx, const Tensor& x, const Tensor& w, float eps, Tensor& y);

// In place, per row of x [m, n] (f32): x = softmax(scale · x). Rows that are all -inf become zeros.
void softmax(const KernelContext& ctx, Tensor& x, float scale);

// Rotary position embedding, in place, on x [n_tokens, n_heads, head_dim] (f32), rotating the
// first `2 * num_freqs` values of each head. positions: [n_tokens] i32. freqs: [num_freqs] f32 (ω_i).
// angle = pos · ω_i; cos and sin are multiplied by `attn_factor` (YaRN; 1 otherwise).
//   kInterleaved (DeepSeek, GGML "NORM"):   pairs (x[2i], x[2i+1])
//   kHalf (NeoX / HF rotate_half: Qwen2, Llama): pairs (x[i], x[i + num_freqs])
enum class RopeStyle { kInterleaved, kHalf };
struct RopeParams {
  RopeStyle style = RopeStyle::kInterleaved;
  float attn_factor = 1.0f;
};
void rope(const KernelContext& ctx, Tensor& x, const Tensor& positions, const Tensor& freqs,
          const RopeParams& params);

// out[i] = silu(gate[i]) · up[i], silu(z) = z / (1 + e^-z). All f32, same shape; out may alias gate.
void swiglu(const KernelContext& ctx, const Tensor& gate, const Tensor& up, Tensor& out);
// In place silu on f32 x.
void silu(const KernelContext& ctx, Tensor& x);

// Indices of the k largest values of each row of x [m, n] (f32), in descending value order; ties go
// to the lower index; NaN counts as smaller than everything. indices: [m, k] i32, values: [m, k] f32
// (values may be an undefined Tensor when not needed).
void topk(const KernelContext& ctx, const Tensor& x, int k, Tensor& indices, Tensor* values);

}  // namespace seek::kernels
