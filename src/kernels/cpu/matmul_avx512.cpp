// The AVX-512 matmul backend: decode (small m, see use_gemv) streams weights through the GEMV
// kernels, prefill runs the packed GEMM. Threads always split the weight rows, so each reads disjoint,
// contiguous runs of the weights (the memory traffic that bounds decode) and writes disjoint columns
// of y: the GEMM a fixed share each, the GEMV units claimed as threads free up (run_rows).
#include "kernels/cpu/matmul_avx512.h"

#include "core/cpu_features.h"
#include "kernels/cpu/simd_avx512.h"
#include "kernels/kernels.h"

namespace seek::kernels::avx512 {
namespace {

// Below this many multiply-adds one thread is faster than waking the pool.
constexpr int64_t kMinParallelMacs = 1 << 16;
// Rows of y per thread start on a 64-byte boundary, so threads never share a cache line of y.
constexpr int64_t kGemvGrain = 16;


bool is_quant(DType t) { return t == DType::kQ8_0 || t == DType::kQ4_0; }

// Whether m rows take the decode GEMV rather than the packed GEMM: the crossover measured on Zen 5
// (n = k = 2048, 2 threads). f16/bf16 stay on the GEMV longer because below kMatmulBf16DotMinRows
// the GEMM would widen them to f32 panels, and packing then costs more than the GEMV's x traffic.
// q8_0/q4_0 take the GEMV up to kGemvMaxRows: from kGemvQuantMultiMinRows rows its multi-row kernel
// reads the weights in place, where the GEMM's per-call packing cost 3x its arithmetic at m = 8.
bool use_gemv(DType wtype, int64_t m) {
  const int64_t max_rows = wtype == DType::kF32 ? 4 : kGemvMaxRows;
  return m <= max_rows;
}

bool use_bf16_dot(DType wtype, int64_t m) {
  return wtype == DType::kBF16 && m >= kMatmulBf16DotMinRows && cpu_features().avx512_bf16;
}

bool supports(DType wtype) {
  switch (wtype) {
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16: return true;
    case DType::kQ8_0:
    case DType::kQ4_0: return cpu_features().avx512_vnni;
    case DType::kF8E4M3:
    case DType::kI32:
    case DType::kI64:
    case DType::kU8:
    case DType::kI8:
    case DType::kI16:
    case DType::kF64:
    case DType::kQ4_K:  // the AVX2 family's int8 products (matmul_kquant_avx2.cpp), as for q4_1, q5_0, q5_1, iq4_*
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kIQ4_NL:
    case DType::kIQ4_XS: return false;
  }
  return false;
}

// Prepared activations of one head (quantised or bf16-rounded x; 0 when x is used in place).
size_t head_act_bytes(int64_t m, int64_t k, DType wtype) {
  if (use_gemv(wtype, m)) return is_quant(wtype) ? align64(gemv_quant_act_bytes(m, k)) : 0;
  return align64(gemm_act_bytes(gemm_kind(wtype, use_bf16_dot(wtype, m)), m, k));
}

size_t scratch_bytes(int64_t m, int64_t k, DType wtype, int64_t num_heads, int num_threads) {
  size_t act = static_cast<size_t>(num_heads) * head_act_bytes(m, k, wtype);
  // Callers size their arena for their largest m; the multi-row GEMV's prepared x at kGemvMaxRows
  // can exceed the GEMM's at a few more rows, so larger m reserve it too (non-decreasing in m).
  if (is_quant(wtype) && m > kGemvMaxRows) {
    const size_t decode_act = static_cast<size_t>(num_heads) * head_act_bytes(kGemvMaxRows, k, wtype);
    if (decode_act > act) act = decode_act;
  }
  // f32 keeps the GEMM's packing buffers even for decode sizes: w_kn problems always take the GEMM.
  if (use_gemv(wtype, m) && wtype != DType::kF32) return act;
  return act + static_cast<size_t>(num_threads) * gemm_thread_bytes();
}

int threads_for(const MatmulProblem& p, ThreadPool& pool) {
  return p.num_heads * p.m * p.n * p.k < kMinParallelMacs ? 1 : pool.num_threads();
}

// Prepares the activations of every (head, x row) pair, split over the threads, with
// prepare(head problem, row_begin, row_end, head's area).
template <typename F>
void prepare_heads(const MatmulProblem& p, ThreadPool& pool, int nt, size_t head_bytes, uint8_t* scratch,
                   F&& prepare) {
  const int64_t rows = p.num_heads * p.m;
  run_on(pool, rows == 1 ? 1 : nt, [&](int t, int n_threads) {
    const Range r = thread_range(rows, t, n_threads, 1);
    for (int64_t hr = r.begin; hr < r.end;) {
      const int64_t h = hr / p.m, i = hr % p.m;
      const int64_t i_end = i + (r.end - hr) < p.m ? i + (r.end - hr) : p.m;
      prepare(matmul_head(p, h), i, i_end, scratch + h * head_bytes);
      hr += i_end - i;
    }
  });
}

// The GEMV as a RowsPath: quantised weights read x prepared per head, float weights read it in place.
// w_kn problems have no weight rows to stream.
bool takes_gemv(const MatmulProblem& p) { return use_gemv(p.wtype, p.m) && !p.w_kn; }
void gemv_prepare(const MatmulProblem& head, int64_t i_begin, int64_t i_end, uint8_t* act) {
  gemv_quant_prepare(head, i_begin, i_end, act);  // only quantised weights have an area to prepare
}
void gemv_rows(const MatmulProblem& head, const uint8_t* act, int64_t n_begin, int64_t n_end) {
  if (is_quant(head.wtype)) {
    gemv_quant(head, act, n_begin, n_end);
  } else {
    gemv_float(head, n_begin, n_end);
  }
}
const RowsPath kGemv = {&takes_gemv, &head_act_bytes, &gemv_prepare,
                        &gemv_rows,  kGemvGrain,      kMinParallelMacs};

void run_gemm(const MatmulProblem& p, ThreadPool& pool, uint8_t* scratch) {
  const GemmKind kind = gemm_kind(p.wtype, use_bf16_dot(p.wtype, p.m));
  const size_t head_bytes = head_act_bytes(p.m, p.k, p.wtype);
  const int nt = threads_for(p, pool);
  if (head_bytes > 0) {
    prepare_heads(p, pool, nt, head_bytes, scratch,
                  [&](const MatmulProblem& one, int64_t i0, int64_t i1, uint8_t* act) {
                    gemm_prepare(kind, one, i0, i1, act);
                  });
  }
  uint8_t* thread_base = scratch + p.num_heads * head_bytes;
  run_on(pool, nt, [&](int t, int n_threads) {
    for_head_ranges(p.num_heads, p.n, t, n_threads, kGemmPanelRows,
                    [&](int64_t h, int64_t n_begin, int64_t n_end) {
                      gemm(kind, matmul_head(p, h), scratch + h * head_bytes, n_begin, n_end,
                           thread_base + t * gemm_thread_bytes());
                    });
  });
}

void run(const MatmulProblem& p, ThreadPool& pool, uint8_t* scratch) {
  if (takes_gemv(p)) {
    run_rows(kGemv, &p, 1, pool, scratch);
  } else {
    run_gemm(p, pool, scratch);
  }
}

}  // namespace

const MatmulBackend kMatmul = {&supports, &scratch_bytes, &run, &kGemv};

}  // namespace seek::kernels::avx512
