// matmul() and matmul_heads(): operand checks, the choice of implementation family, and scratch
// accounting.
// The families split the work over the pool themselves (their decomposition depends on the kernel:
// weight panels for prefill, weight rows for decode).
#include "core/error.h"
#include "kernels/backend.h"
#include "kernels/kernels.h"

namespace seek::kernels {
namespace {

// The families to try at `level`, best first; the first whose supports() accepts the dtype runs.
int matmul_candidates(KernelLevel level, const MatmulBackend* out[3]) {
  int n = 0;
  switch (level) {
    case KernelLevel::kAvx512: out[n++] = &avx512::kMatmul; [[fallthrough]];
    case KernelLevel::kAvx2: out[n++] = &avx2::kMatmul; [[fallthrough]];
    case KernelLevel::kScalar: out[n++] = &ref::kMatmul;
  }
  return n;
}

const MatmulBackend& matmul_backend(KernelLevel level, DType wtype) {
  const MatmulBackend* candidates[3];
  const int n = matmul_candidates(level, candidates);
  for (int i = 0; i < n; ++i)
    if (candidates[i]->supports(wtype)) return *candidates[i];
  SEEK_FAIL("matmul: weights of type " << dtype_name(wtype) << " are not supported");
}

// A tensor seen as rows of contiguous values: 1-D is one row, 2-D rows may be strided.
struct RowsOf {
  int64_t rows;
  int64_t cols;
  int64_t stride;  // bytes
};

RowsOf rows_of(const Tensor& t, const char* what) {
  SEEK_CHECK(t.ndim() == 1 || t.ndim() == 2,
             "matmul: " << what << " must be 1-D or 2-D, got " << t.shape_string());
  const int64_t cols = t.dim(-1);
  if (!dtype_is_quantized(t.dtype()) && cols > 1) {
    SEEK_CHECK(t.stride_bytes(-1) == static_cast<int64_t>(dtype_block_bytes(t.dtype())),
               "matmul: " << what << " rows must be contiguous");
  }
  if (t.ndim() == 1) return {1, cols, static_cast<int64_t>(t.row_bytes())};
  return {t.dim(0), cols, t.stride_bytes(0)};
}

bool overlaps(const void* a, size_t a_bytes, const void* b, size_t b_bytes) {
  const uint8_t* pa = static_cast<const uint8_t*>(a);
  const uint8_t* pb = static_cast<const uint8_t*>(b);
  return pa < pb + b_bytes && pb < pa + a_bytes;
}

// Runs p on the best family for its weights, with scratch taken from (and returned to) ctx.scratch.
void run_problem(const KernelContext& ctx, const MatmulProblem& p,
                 const MatmulBackend* chosen = nullptr) {
  const MatmulBackend& backend = chosen != nullptr ? *chosen : matmul_backend(ctx.level, p.wtype);
  // w_kn problems take the families' float GEMM whatever the weights (its packing widens them).
  const DType sized_as = p.w_kn ? DType::kF32 : p.wtype;
  const size_t need =
      align64(backend.scratch_bytes(p.m, p.k, sized_as, p.num_heads, ctx.pool->num_threads()));
  uint8_t* scratch = nullptr;
  size_t mark = 0;
  if (need > 0) {
    SEEK_ASSERT_MSG(ctx.scratch != nullptr,
                    "matmul needs " << need << " bytes of scratch; ctx.scratch is null");
    SEEK_ASSERT_MSG(ctx.scratch->capacity() - ctx.scratch->used() >= need,
                    "matmul needs " << need << " bytes of scratch; "
                                    << ctx.scratch->capacity() - ctx.scratch->used() << " free");
    mark = ctx.scratch->mark();
    scratch = static_cast<uint8_t*>(ctx.scratch->allocate(need));
  }
  backend.run(p, *ctx.pool, scratch);
  if (need > 0) ctx.scratch->release(mark);
}

}  // namespace

size_t matmul_scratch_bytes(const KernelContext& ctx, int64_t m, int64_t k, DType wtype) {
  SEEK_ASSERT(ctx.pool != nullptr);
  const MatmulBackend& backend = matmul_backend(ctx.level, wtype);
  return align64(backend.scratch_bytes(m, k, wtype, 1, ctx.pool->num_threads()));
}

namespace {

// The problem of y = x · wᵀ after matmul()'s operand checks; m or n may be 0 (nothing to do).
MatmulProblem plain_problem(const Tensor& x, const Tensor& w, Tensor& y) {
  SEEK_CHECK(x.dtype() == DType::kF32 && y.dtype() == DType::kF32, "matmul: activations must be f32 (x "
                                                                       << dtype_name(x.dtype()) << ", y "
                                                                       << dtype_name(y.dtype()) << ")");
  SEEK_CHECK(w.ndim() == 2, "matmul: weights must be 2-D, got " << w.shape_string());
  const RowsOf xr = rows_of(x, "x");
  const RowsOf yr = rows_of(y, "y");
  const RowsOf wr = rows_of(w, "w");
  SEEK_CHECK(xr.cols == wr.cols && yr.rows == xr.rows && yr.cols == wr.rows,
             "matmul: shapes do not fit: x " << x.shape_string() << " · w " << w.shape_string() << "ᵀ -> y "
                                             << y.shape_string());
  const int64_t k = xr.cols;
  SEEK_CHECK(k % dtype_block_size(w.dtype()) == 0,
             "matmul: k = " << k << " is not a multiple of the " << dtype_name(w.dtype()) << " block size");
  MatmulProblem p;
  p.x = x.data_as<float>();
  p.x_stride = xr.stride;
  p.w = static_cast<const uint8_t*>(w.data());
  p.w_stride = wr.stride;
  p.wtype = w.dtype();
  p.w_scales = w.block_scales();
  p.y = y.data_as<float>();
  p.y_stride = yr.stride;
  p.m = xr.rows;
  p.n = wr.rows;
  p.k = k;
  return p;
}

size_t x_span(const MatmulProblem& p) { return static_cast<size_t>((p.m - 1) * p.x_stride + p.k * 4); }
size_t y_span(const MatmulProblem& p) { return static_cast<size_t>((p.m - 1) * p.y_stride + p.n * 4); }

}  // namespace

void matmul(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y) {
  SEEK_ASSERT(ctx.pool != nullptr);
  const MatmulProblem p = plain_problem(x, w, y);
  if (p.m == 0 || p.n == 0) return;
  SEEK_ASSERT_MSG(!overlaps(p.x, x_span(p), p.y, y_span(p)), "matmul: y overlaps x");
  run_problem(ctx, p);
}

void matmul_group(const KernelContext& ctx, const MatmulTerm* terms, int count) {
  SEEK_ASSERT(ctx.pool != nullptr);
  for (int first = 0; first < count; first += kMaxRowsGroup) {
    MatmulProblem ps[kMaxRowsGroup];
    int used = 0;
    const MatmulBackend* backend = nullptr;
    bool together = true;  // every product on one family's decode path
    for (int t = first; t < count && t < first + kMaxRowsGroup; ++t) {
      const MatmulProblem p = plain_problem(*terms[t].x, *terms[t].w, *terms[t].y);
      if (p.m == 0 || p.n == 0) continue;
      for (int j = 0; j < used; ++j)  // the products run at the same time
        SEEK_ASSERT_MSG(!overlaps(p.y, y_span(p), ps[j].x, x_span(ps[j])) &&
                            !overlaps(ps[j].y, y_span(ps[j]), p.x, x_span(p)) &&
                            !overlaps(p.y, y_span(p), ps[j].y, y_span(ps[j])),
                        "matmul_group: term " << t << "'s y overlaps another term's x or y");
      SEEK_ASSERT_MSG(!overlaps(p.x, x_span(p), p.y, y_span(p)),
                      "matmul_group: term " << t << "'s y overlaps its x");
      const MatmulBackend& b = matmul_backend(ctx.level, p.wtype);
      if (backend == nullptr) backend = &b;
      together = together && &b == backend && b.rows != nullptr && b.rows->takes(p);
      ps[used++] = p;
    }
    if (used == 0) continue;
    const size_t need = together ? rows_scratch_bytes(*backend->rows, ps, used) : 0;  // whole 64-byte areas
    const bool fits =
        need == 0 || (ctx.scratch != nullptr && ctx.scratch->capacity() - ctx.scratch->used() >= need);
    if (!together || !fits) {  // one by one (a group too large for the scratch: each product's own share)
      for (int j = 0; j < used; ++j) run_problem(ctx, ps[j]);
      continue;
    }
    const size_t mark = need > 0 ? ctx.scratch->mark() : 0;
    uint8_t* scratch = need > 0 ? static_cast<uint8_t*>(ctx.scratch->allocate(need)) : nullptr;
    run_rows(*backend->rows, ps, used, *ctx.pool, scratch);
    if (need > 0) ctx.scratch->release(mark);
  }
}

// Weights stored [k, n] (w_kn) run on the families' packed GEMMs, whose packing reads rows of [k, n]
// (AVX2: a few x rows accumulate the weight rows directly, matmul_kn_avx2.cpp). The AVX-512 GEMM
// packs f32 rows only; other weight types (matmul_heads_nn: absorbed MLA's W_UK, 2·H·128·512 FLOPs a
// token) take the AVX2 family at both levels.
static const MatmulBackend& input_major_backend(KernelLevel level, DType wtype) {
  switch (level) {
    case KernelLevel::kAvx512: return wtype == DType::kF32 ? avx512::kMatmul : avx2::kMatmul;
    case KernelLevel::kAvx2: return avx2::kMatmul;
    case KernelLevel::kScalar: break;
  }
  return ref::kMatmul;
}
static const MatmulBackend& matmul_nn_backend(KernelLevel level) { return input_major_backend(level, DType::kF32); }

size_t matmul_nn_scratch_bytes(const KernelContext& ctx, int64_t m, int64_t k) {
  SEEK_ASSERT(ctx.pool != nullptr);
  return align64(matmul_nn_backend(ctx.level).scratch_bytes(m, k, DType::kF32, 1, ctx.pool->num_threads()));
}

namespace {

// y = x · w (x_transposed: xᵀ · w) with w stored input-major.
void run_input_major(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y, bool x_transposed,
                     bool accumulate) {
  const char* name = x_transposed ? "matmul_tn" : "matmul_nn";
  SEEK_ASSERT(ctx.pool != nullptr);
  SEEK_CHECK(x.dtype() == DType::kF32 && w.dtype() == DType::kF32 && y.dtype() == DType::kF32,
             name << ": every operand must be f32");
  SEEK_CHECK(w.ndim() == 2 && x.ndim() == 2, name << ": x and w must be 2-D");
  const RowsOf xr = rows_of(x, "x");
  const RowsOf yr = rows_of(y, "y");
  const RowsOf wr = rows_of(w, "w");
  const int64_t m = x_transposed ? xr.cols : xr.rows, k = x_transposed ? xr.rows : xr.cols;
  SEEK_CHECK(k == wr.rows && yr.rows == m && yr.cols == wr.cols,
             name << ": shapes do not fit: x " << x.shape_string() << (x_transposed ? "ᵀ" : "") << " · w "
                  << w.shape_string() << " -> y " << y.shape_string());
  if (m == 0 || wr.cols == 0) return;
  const size_t x_span = static_cast<size_t>((xr.rows - 1) * xr.stride) + static_cast<size_t>(xr.cols) * 4;
  const size_t y_span = static_cast<size_t>((yr.rows - 1) * yr.stride) + static_cast<size_t>(yr.cols) * 4;
  SEEK_ASSERT_MSG(!overlaps(x.data(), x_span, y.data(), y_span), name << ": y overlaps x");
  MatmulProblem p;
  p.x = x.data_as<float>();
  p.x_stride = xr.stride;
  p.w = static_cast<const uint8_t*>(w.data());
  p.w_stride = wr.stride;
  p.wtype = DType::kF32;
  p.w_kn = true;
  p.x_km = x_transposed;
  p.accumulate = accumulate;
  p.y = y.data_as<float>();
  p.y_stride = yr.stride;
  p.m = m;
  p.n = wr.cols;
  p.k = k;
  run_problem(ctx, p, &matmul_nn_backend(ctx.level));
}

}  // namespace

void matmul_nn(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y, bool accumulate) {
  run_input_major(ctx, x, w, y, false, accumulate);
}

void matmul_tn(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y, bool accumulate) {
  run_input_major(ctx, x, w, y, true, accumulate);
}

size_t matmul_heads_scratch_bytes(const KernelContext& ctx, int64_t m, int64_t num_heads, int64_t k,
                                  DType wtype) {
  SEEK_ASSERT(ctx.pool != nullptr);
  const MatmulBackend& backend = matmul_backend(ctx.level, wtype);
  return align64(backend.scratch_bytes(m, k, wtype, num_heads, ctx.pool->num_threads()));
}

namespace {

// matmul_heads (w [H, n, k]) and matmul_heads_nn (w [H, k, n], input_major): checks and the problem.
MatmulProblem heads_problem(const Tensor& x, const Tensor& w, Tensor& y, bool input_major) {
  const char* name = input_major ? "matmul_heads_nn" : "matmul_heads";
  SEEK_CHECK(x.dtype() == DType::kF32 && y.dtype() == DType::kF32, name << ": activations must be f32 (x "
                                                                       << dtype_name(x.dtype()) << ", y "
                                                                       << dtype_name(y.dtype()) << ")");
  SEEK_CHECK(x.ndim() == 3 && w.ndim() == 3 && y.ndim() == 3,
             name << ": want x [m, H, k], w " << (input_major ? "[H, k, n]" : "[H, n, k]") << ", y [m, H, n]; got x "
                  << x.shape_string() << ", w " << w.shape_string() << ", y " << y.shape_string());
  const int64_t m = x.dim(0), heads = x.dim(1), k = x.dim(2), n = w.dim(input_major ? 2 : 1);
  SEEK_CHECK(w.dim(0) == heads && w.dim(input_major ? 1 : 2) == k && y.dim(0) == m && y.dim(1) == heads &&
                 y.dim(2) == n,
             name << ": shapes do not fit: x " << x.shape_string() << ", w " << w.shape_string() << ", y "
                  << y.shape_string());
  // Blocks run along w's rows: k for matmul_heads, n for matmul_heads_nn.
  const int64_t row_len = input_major ? n : k;
  SEEK_CHECK(row_len % dtype_block_size(w.dtype()) == 0, name << ": " << (input_major ? "n" : "k") << " = " << row_len
                                                              << " is not a multiple of the " << dtype_name(w.dtype())
                                                              << " block size");
  const bool w_rows_contiguous = dtype_is_quantized(w.dtype()) || row_len <= 1 ||
                                 w.stride_bytes(2) == static_cast<int64_t>(dtype_block_bytes(w.dtype()));
  SEEK_CHECK((k <= 1 || x.stride_bytes(2) == 4) && (n <= 1 || y.stride_bytes(2) == 4) && w_rows_contiguous,
             name << ": the rows of x, w and y must be contiguous");
  MatmulProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.num_heads = heads;
  if (m == 0 || heads == 0 || n == 0) return p;
  // Heads and rows may be interleaved in any order (views), but y must not alias x.
  const size_t x_span = static_cast<size_t>((m - 1) * x.stride_bytes(0) + (heads - 1) * x.stride_bytes(1)) +
                        static_cast<size_t>(k) * 4;
  const size_t y_span = static_cast<size_t>((m - 1) * y.stride_bytes(0) + (heads - 1) * y.stride_bytes(1)) +
                        static_cast<size_t>(n) * 4;
  SEEK_ASSERT_MSG(!overlaps(x.data(), x_span, y.data(), y_span), name << ": y overlaps x");
  p.x = x.data_as<float>();
  p.x_stride = x.stride_bytes(0);
  p.x_head_stride = x.stride_bytes(1);
  p.w = static_cast<const uint8_t*>(w.data());
  p.w_stride = w.stride_bytes(1);
  p.w_head_stride = w.stride_bytes(0);
  p.wtype = w.dtype();
  p.w_scales = w.block_scales();
  p.w_kn = input_major;
  p.y = y.data_as<float>();
  p.y_stride = y.stride_bytes(0);
  p.y_head_stride = y.stride_bytes(1);
  return p;
}

}  // namespace

void matmul_heads(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y) {
  SEEK_ASSERT(ctx.pool != nullptr);
  const MatmulProblem p = heads_problem(x, w, y, false);
  if (p.m == 0 || p.num_heads == 0 || p.n == 0) return;
  run_problem(ctx, p);
}

size_t matmul_heads_nn_scratch_bytes(const KernelContext& ctx, int64_t m, int64_t num_heads, int64_t k,
                                     DType wtype) {
  SEEK_ASSERT(ctx.pool != nullptr);
  const MatmulBackend& backend = input_major_backend(ctx.level, wtype);
  return align64(backend.scratch_bytes(m, k, DType::kF32, num_heads, ctx.pool->num_threads()));
}

void matmul_heads_nn(const KernelContext& ctx, const Tensor& x, const Tensor& w, Tensor& y) {
  SEEK_ASSERT(ctx.pool != nullptr);
  const MatmulProblem p = heads_problem(x, w, y, true);
  if (p.m == 0 || p.num_heads == 0 || p.n == 0) return;
  run_problem(ctx, p, &input_major_backend(ctx.level, p.wtype));
}

}  // namespace seek::kernels
