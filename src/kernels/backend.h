// The seam between the public kernel API (kernels.cpp, matmul.cpp: validation, views, threading of
// row ops) and the implementation families (ref/, cpu/*_avx2.cpp, cpu/*_avx512.cpp).
//
// Each family exports constant tables of plain function pointers (matmul, row ops, attention). A
// null entry means this family has no version of the op: the dispatcher then tries the family below (avx512 ->
// avx2 -> ref). Families see raw pointers and byte strides only, never Tensor, so their translation
// units need nothing but this header and intrinsics.
//
// ODR: this header defines only `static inline` helpers (matmul_head, thread_range, ...), one private copy per
// translation unit. Files compiled with AVX-512 flags must keep their helpers in anonymous
// namespaces (or `static`) so that the linker can never pick a wide-instruction copy of a shared
// inline function for generic callers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/block_scales.h"
#include "core/dtype.h"
#include "core/thread_pool.h"

namespace seek::kernels {

// y[m, n] = x[m, k] · w[n, k]ᵀ over raw memory, for each of num_heads independent heads (matmul:
// one head; matmul_heads: the heads of absorbed MLA). Strides are in bytes between consecutive
// rows; head h's x, w and y start h · *_head_stride bytes after head 0's.
struct MatmulProblem {
  const float* x = nullptr;  // [m, k] f32, rows x_stride bytes apart
  int64_t x_stride = 0;
  const uint8_t* w = nullptr;  // [n, k] in wtype, rows w_stride bytes apart
  int64_t w_stride = 0;
  DType wtype = DType::kF32;
  float* y = nullptr;  // [m, n] f32, rows y_stride bytes apart
  int64_t y_stride = 0;
  int64_t m = 0, n = 0, k = 0;
  // w stored [k, n] instead (row t holds input t's weight for every output): y = x · w. Any weight
  // type (matmul_heads_nn; q8_0/q4_0 blocks run along n) and x used exactly, never through q8_0; the
  // families that take it are chosen in matmul.cpp (input_major_backend).
  bool w_kn = false;
  // x stored [k, m] instead (row t holds input t of every x row): y = xᵀ · w. Only with w_kn.
  bool x_km = false;
  // y += product instead of y = product (w_kn problems only: the backward pass adds dx and dW into
  // gradients that already hold other terms).
  bool accumulate = false;
  int64_t num_heads = 1;
  int64_t x_head_stride = 0, w_head_stride = 0, y_head_stride = 0;
  // FP8 e4m3 weights: their block scales, found by each value's address (so per-head and row-range
  // views need nothing more); null means 1.
  const BlockScales* w_scales = nullptr;
};

// Bytes rounded up to whole 64-byte units: arena allocations come in them, and scratch areas start on
// cache lines.
static inline size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

// Row i of a problem's x and of its y.
static inline const float* x_row(const MatmulProblem& p, int64_t i) {
  return reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(p.x) + i * p.x_stride);
}
static inline float* y_row(const MatmulProblem& p, int64_t i) {
  return reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(p.y) + i * p.y_stride);
}

// Head h of a multi-head problem as a one-head problem.
static inline MatmulProblem matmul_head(const MatmulProblem& p, int64_t h) {
  MatmulProblem one = p;
  one.x = reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(p.x) + h * p.x_head_stride);
  one.w = p.w + h * p.w_head_stride;
  one.y = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(p.y) + h * p.y_head_stride);
  one.num_heads = 1;
  return one;
}

// ---- splitting work over a pool's threads (ISA-free; shared by every family) ----

// The rows [begin, end) of `count` items that thread `t` of `num_threads` handles, in multiples of
// `grain` (contiguous ranges, earlier threads first).
struct Range {
  int64_t begin, end;
};
static inline Range thread_range(int64_t count, int t, int num_threads, int64_t grain) {
  const int64_t units = (count + grain - 1) / grain;
  const int64_t per = units / num_threads, extra = units % num_threads;
  const int64_t first = t * per + (t < extra ? t : extra);
  const int64_t len = per + (t < extra ? 1 : 0);
  int64_t begin = first * grain, end = (first + len) * grain;
  if (begin > count) begin = count;
  if (end > count) end = count;
  return {begin, end};
}

// Thread t's share of num_heads independent n-column outputs, split head-major into groups of `grain`
// columns as thread_range splits one: calls fn(h, n_begin, n_end) for each head it touches. With one
// head this is thread_range(n, t, num_threads, grain).
template <typename F>
static inline void for_head_ranges(int64_t num_heads, int64_t n, int t, int num_threads, int64_t grain,
                                   F&& fn) {
  const int64_t per_head = (n + grain - 1) / grain;
  const Range r = thread_range(num_heads * per_head, t, num_threads, 1);
  for (int64_t u = r.begin; u < r.end;) {
    const int64_t h = u / per_head, first = u % per_head;
    const int64_t last = first + (r.end - u) < per_head ? first + (r.end - u) : per_head;
    fn(h, first * grain, last * grain < n ? last * grain : n);
    u += last - first;
  }
}

// Runs fn(t, nt) on nt threads of `pool` (just the caller when nt == 1: no hand-off).
template <typename F>
static inline void run_on(ThreadPool& pool, int nt, F&& fn) {
  if (nt == 1) {
    fn(0, 1);
    return;
  }
  pool.run([&](int t) { fn(t, nt); });
}

// A family's dot-product path for a few x rows (decode), in the two steps every such path has: prepare
// each head's x once (quantise it, or nothing), then take weight rows. Written as steps so that one
// ISA-free driver (run_rows, matmul_rows.cpp) can hand out the weight rows of one product, or of
// several at once (matmul_group), to the pool's threads as they free up.
struct RowsPath {
  // Whether the family's run() takes this path for p.
  bool (*takes)(const MatmulProblem& p);
  // Bytes of one head's prepared x (0: x is read in place; prepare is then never called).
  size_t (*act_bytes)(int64_t m, int64_t k, DType wtype);
  // Prepares x rows [i_begin, i_end) of a one-head problem into its area (act_bytes, 64-byte aligned).
  void (*prepare)(const MatmulProblem& head, int64_t i_begin, int64_t i_end, uint8_t* act);
  // y[0..m, n_begin..n_end) of a one-head problem; n_begin a multiple of grain.
  void (*compute)(const MatmulProblem& head, const uint8_t* act, int64_t n_begin, int64_t n_end);
  int64_t grain;              // weight rows: a thread's share starts on this multiple (y cache lines)
  int64_t min_parallel_macs;  // below this many multiply-adds the caller works alone
};

// Runs problems[0..count) (each taking `path`) in one hand-off to the pool: x is prepared once per
// distinct x (problems reading the same rows with the same weight type share it), then the threads
// claim units of weight rows until none are left, so one finishing early takes more work instead of
// waiting. `scratch` holds rows_scratch_bytes(path, problems, count) bytes. count <= kMaxRowsGroup.
constexpr int kMaxRowsGroup = 32;
size_t rows_scratch_bytes(const RowsPath& path, const MatmulProblem* problems, int count);
void run_rows(const RowsPath& path, const MatmulProblem* problems, int count, ThreadPool& pool,
              uint8_t* scratch);

struct MatmulBackend {
  // Whether this family runs `wtype` on this CPU (e.g. q4_0 at avx512 needs VNNI).
  bool (*supports)(DType wtype);
  // Upper bound of scratch bytes run() needs for this problem size and thread count.
  size_t (*scratch_bytes)(int64_t m, int64_t k, DType wtype, int64_t num_heads, int num_threads);
  // Computes the whole product (every head), splitting work over `pool`. `scratch` is 64-byte
  // aligned and holds scratch_bytes(...) bytes.
  void (*run)(const MatmulProblem& problem, ThreadPool& pool, uint8_t* scratch);
  // The family's decode path (null: none; matmul_group then runs its products one by one).
  const RowsPath* rows;
};

// Causal attention of n_q query rows per head over n_keys cached keys (kernels/attention.h).
// Strides are in bytes: *_stride between consecutive tokens, *_head_stride between heads.
struct AttentionProblem {
  const float* q = nullptr;  // [n_q, num_heads, dk] f32
  int64_t q_stride = 0, q_head_stride = 0;
  const uint8_t* k = nullptr;  // [n_keys, num_kv_heads, dk] in kv_type
  int64_t k_stride = 0, k_head_stride = 0;
  const uint8_t* v = nullptr;  // [n_keys, num_kv_heads, dv] in kv_type (may share k's memory)
  int64_t v_stride = 0, v_head_stride = 0;
  DType kv_type = DType::kF32;  // f32 or bf16
  float* out = nullptr;         // [n_q, num_heads, dv] f32
  int64_t out_stride = 0, out_head_stride = 0;
  const int32_t* positions = nullptr;  // [n_q]: query i sees keys 0..positions[i] (< n_keys)
  int64_t n_q = 0, num_heads = 0, num_kv_heads = 0, dk = 0, dv = 0, n_keys = 0;
  float scale = 1.0f;  // applied to q·k before the softmax
};

// Flash attention (kernels/attention_flash.cpp) walks blocks of up to kAttentionBlockRows query rows
// that share one kv head by up to kAttentionBlockKeys consecutive keys; the families supply one step.
constexpr int64_t kAttentionBlockRows = 64;
constexpr int64_t kAttentionBlockKeys = 32;

// One online-softmax step over a block. Running state per row r: max m[r], sum l[r] and the
// unnormalised output o[r] = Σ_j e^(s_j - m[r]) v_j over the keys seen so far.
struct AttentionBlock {
  int64_t rows = 0;                 // query rows (1..kAttentionBlockRows)
  int64_t keys = 0;                 // keys (1..kAttentionBlockKeys)
  const float* const* q = nullptr;  // [rows] -> dk f32 values
  float* const* o = nullptr;        // [rows] -> dv f32 running outputs, updated in place
  const int32_t* valid = nullptr;   // [rows] how many of the block's first keys row r may see (0..keys)
  const uint8_t* k = nullptr;       // the block's first key, kv_type; keys k_stride bytes apart
  const uint8_t* v = nullptr;       // the block's first value, kv_type; v_stride bytes apart
  int64_t k_stride = 0, v_stride = 0;
  DType kv_type = DType::kF32;
  int64_t dk = 0, dv = 0;
  float scale = 1.0f;
  float* m = nullptr;  // [rows] running max (-inf before any key)
  float* l = nullptr;  // [rows] running sum of e^(s - m)
  float* s = nullptr;  // [rows][kAttentionBlockKeys] f32 work area for scores/probabilities
};

struct AttentionBackend {
  bool (*supports)(DType kv_type);
  // Fast families: the block step; the shared driver does the rest. Null in ref.
  void (*block)(const AttentionBlock& block);
  // ref: the whole op on its own (scores row per (query, head) in scratch). Null in fast families.
  size_t (*scratch_bytes)(int64_t n_keys, int num_threads);
  void (*run)(const AttentionProblem& problem, ThreadPool& pool, uint8_t* scratch);
};

// Row kernels: one contiguous row (or one token for rope); the dispatcher splits rows over threads.
struct RowBackend {
  void (*silu)(float* x, int64_t n);
  void (*swiglu)(const float* gate, const float* up, float* out, int64_t n);        // out may be gate
  void (*rmsnorm)(const float* x, const float* w, float eps, float* y, int64_t d);  // y may be x
  void (*softmax)(float* x, int64_t n, float scale);
  // Rotates one head in place. cos_sin holds [cos_0..cos_{f-1}, sin_0..sin_{f-1}] for this token,
  // already multiplied by attn_factor.
  void (*rope_interleaved)(float* x, const float* cos_sin, int64_t num_freqs);
  void (*rope_half)(float* x, const float* cos_sin, int64_t num_freqs);
  // The k largest of x[0..n) (value descending, ties to the lower index, NaN smallest).
  // values may be null.
  void (*topk)(const float* x, int64_t n, int k, int32_t* indices, float* values);
};

// The training passes of kernels/grad.h on contiguous ranges (one row for rmsnorm_backward).
struct AdamWUpdate;
struct GradBackend {
  void (*add)(float* y, const float* a, const float* b, int64_t n);  // y may be a
  void (*scale)(float* x, float s, int64_t n);
  double (*sum_squares)(const float* x, int64_t n);
  void (*swiglu_backward)(const float* gate, const float* up, const float* dy, float* dgate, float* dup, int64_t n);
  void (*rmsnorm_backward)(const float* x, const float* w, const float* dy, float eps, float* dx, float* dw, int64_t d);
  void (*adamw)(float* w, const float* g, float* m, float* v, int64_t n, const AdamWUpdate& u);
  void (*softmax_backward)(const float* p, float* dp, float scale, int64_t n);
};

namespace ref {
extern const GradBackend kGrad;
extern const MatmulBackend kMatmul;
extern const RowBackend kRows;
extern const AttentionBackend kAttention;
}  // namespace ref
namespace avx2 {
extern const GradBackend kGrad;
extern const MatmulBackend kMatmul;
extern const RowBackend kRows;
extern const AttentionBackend kAttention;
}  // namespace avx2
namespace avx512 {
extern const MatmulBackend kMatmul;
extern const RowBackend kRows;
extern const AttentionBackend kAttention;
}  // namespace avx512

}  // namespace seek::kernels
