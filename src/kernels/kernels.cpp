// The row ops of kernels.h: operand checks, row addressing of strided views, the split over the
// pool, and the choice of implementation family per op (the best level that has one).
#include "kernels/kernels.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/backend.h"

namespace seek::kernels {
namespace {

// Below this many elements an op runs on the calling thread: waking the pool costs more than it saves.
constexpr int64_t kMinParallelElements = 1 << 15;
// Largest rope table kept on the stack (cos and sin for one token).
constexpr int64_t kMaxRopeFreqs = 1024;

using SiluFn = void (*)(float*, int64_t);
using SwigluFn = void (*)(const float*, const float*, float*, int64_t);
using RmsnormFn = void (*)(const float*, const float*, float, float*, int64_t);
using SoftmaxFn = void (*)(float*, int64_t, float);
using RopeFn = void (*)(float*, const float*, int64_t);
using TopkFn = void (*)(const float*, int64_t, int, int32_t*, float*);

// The entry `member` of the best family at `level` that has one (ref has all of them).
template <typename Fn>
Fn pick(KernelLevel level, Fn RowBackend::*member) {
  switch (level) {
    case KernelLevel::kAvx512:
      if (avx512::kRows.*member != nullptr) return avx512::kRows.*member;
      [[fallthrough]];
    case KernelLevel::kAvx2:
      if (avx2::kRows.*member != nullptr) return avx2::kRows.*member;
      [[fallthrough]];
    case KernelLevel::kScalar: return ref::kRows.*member;
  }
  return ref::kRows.*member;
}

// A tensor as a sequence of rows along its last dimension, each contiguous; leading dimensions may
// have any strides (views).
class Rows {
 public:
  Rows(const Tensor& t, const char* op, const char* what) : t_(t) {
    SEEK_CHECK(t.dtype() == DType::kF32, op << ": " << what << " must be f32, got " << dtype_name(t.dtype()));
    SEEK_CHECK(t.ndim() >= 1, op << ": " << what << " must have at least one dimension");
    cols_ = t.dim(-1);
    SEEK_CHECK(cols_ <= 1 || t.stride_bytes(-1) == 4, op << ": " << what << " rows must be contiguous");
    rows_ = cols_ == 0 ? 0 : t.numel() / cols_;
    // One long row when the whole tensor is contiguous lets elementwise ops split it evenly.
    flat_ = t.is_contiguous();
  }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  bool flat() const { return flat_; }
  float* row(int64_t r) const {
    int64_t offset = 0;
    for (int d = t_.ndim() - 2; d >= 0; --d) {
      const int64_t size = t_.dim(d);
      offset += (r % size) * t_.stride_bytes(d);
      r /= size;
    }
    return reinterpret_cast<float*>(static_cast<uint8_t*>(const_cast<void*>(t_.data())) + offset);
  }

 private:
  const Tensor& t_;
  int64_t rows_ = 0, cols_ = 0;
  bool flat_ = false;
};

void check_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  SEEK_CHECK(a.shape() == b.shape(),
             op << ": shapes differ: " << a.shape_string() << " vs " << b.shape_string());
}

// Runs fn(row_begin, row_end) over [0, rows), on the pool when the op is big enough.
template <typename F>
void for_rows(const KernelContext& ctx, int64_t rows, int64_t cols, F&& fn) {
  SEEK_ASSERT(ctx.pool != nullptr);
  if (rows * cols < kMinParallelElements || ctx.pool->num_threads() == 1) {
    fn(int64_t{0}, rows);
    return;
  }
  ctx.pool->parallel_for(rows, fn);
}

// Elementwise ops: when every operand is contiguous, split the flat range in cache-line multiples;
// otherwise split rows.
template <typename F>
void for_elements(const KernelContext& ctx, bool flat, const Rows& rows, F&& fn) {
  if (flat) {
    const int64_t n = rows.rows() * rows.cols();
    if (n < kMinParallelElements || ctx.pool->num_threads() == 1) {
      fn(int64_t{0}, int64_t{0}, n);
      return;
    }
    ctx.pool->parallel_for(
        n, [&](int64_t begin, int64_t end) { fn(int64_t{0}, begin, end); }, 64);
    return;
  }
  for_rows(ctx, rows.rows(), rows.cols(), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) fn(r, int64_t{0}, rows.cols());
  });
}

}  // namespace

void silu(const KernelContext& ctx, Tensor& x) {
  const Rows xr(x, "silu", "x");
  const SiluFn fn = pick(ctx.level, &RowBackend::silu);
  for_elements(ctx, xr.flat(), xr,
               [&](int64_t r, int64_t begin, int64_t end) { fn(xr.row(r) + begin, end - begin); });
}

void swiglu(const KernelContext& ctx, const Tensor& gate, const Tensor& up, Tensor& out) {
  check_same_shape(gate, up, "swiglu");
  check_same_shape(gate, out, "swiglu");
  const Rows gr(gate, "swiglu", "gate"), ur(up, "swiglu", "up"), orow(out, "swiglu", "out");
  const SwigluFn fn = pick(ctx.level, &RowBackend::swiglu);
  const bool flat = gr.flat() && ur.flat() && orow.flat();
  for_elements(ctx, flat, gr, [&](int64_t r, int64_t begin, int64_t end) {
    fn(gr.row(r) + begin, ur.row(r) + begin, orow.row(r) + begin, end - begin);
  });
}

void rmsnorm(const KernelContext& ctx, const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  check_same_shape(x, y, "rmsnorm");
  const Rows xr(x, "rmsnorm", "x"), yr(y, "rmsnorm", "y");
  SEEK_CHECK(w.dtype() == DType::kF32 && w.ndim() == 1 && w.dim(0) == xr.cols() && w.is_contiguous(),
             "rmsnorm: weight must be contiguous f32 [" << xr.cols() << "], got " << dtype_name(w.dtype())
                                                        << " " << w.shape_string());
  const RmsnormFn fn = pick(ctx.level, &RowBackend::rmsnorm);
  const float* wp = w.data_as<float>();
  for_rows(ctx, xr.rows(), xr.cols(), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) fn(xr.row(r), wp, eps, yr.row(r), xr.cols());
  });
}

void softmax(const KernelContext& ctx, Tensor& x, float scale) {
  const Rows xr(x, "softmax", "x");
  const SoftmaxFn fn = pick(ctx.level, &RowBackend::softmax);
  for_rows(ctx, xr.rows(), xr.cols(), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) fn(xr.row(r), xr.cols(), scale);
  });
}

void rope(const KernelContext& ctx, Tensor& x, const Tensor& positions, const Tensor& freqs,
          const RopeParams& params) {
  SEEK_CHECK(x.dtype() == DType::kF32 && (x.ndim() == 2 || x.ndim() == 3),
             "rope: x must be f32 [n_tokens, n_heads, head_dim] or [n_tokens, head_dim], got "
                 << dtype_name(x.dtype()) << " " << x.shape_string());
  const int64_t n_tokens = x.dim(0);
  const int64_t n_heads = x.ndim() == 3 ? x.dim(1) : 1;
  const int64_t head_dim = x.dim(-1);
  SEEK_CHECK(head_dim <= 1 || x.stride_bytes(-1) == 4, "rope: heads must be contiguous");
  SEEK_CHECK(positions.dtype() == DType::kI32 && positions.ndim() == 1 && positions.dim(0) == n_tokens &&
                 positions.is_contiguous(),
             "rope: positions must be contiguous i32 [" << n_tokens << "], got "
                                                        << dtype_name(positions.dtype()) << " "
                                                        << positions.shape_string());
  SEEK_CHECK(freqs.dtype() == DType::kF32 && freqs.ndim() == 1 && freqs.is_contiguous(),
             "rope: freqs must be contiguous f32 [num_freqs]");
  const int64_t num_freqs = freqs.dim(0);
  SEEK_CHECK(2 * num_freqs <= head_dim && num_freqs <= kMaxRopeFreqs,
             "rope: " << num_freqs << " frequencies do not fit head_dim " << head_dim);
  const RopeFn fn = pick(ctx.level, params.style == RopeStyle::kInterleaved ? &RowBackend::rope_interleaved
                                                                            : &RowBackend::rope_half);
  const int32_t* pos = positions.data_as<int32_t>();
  const float* omega = freqs.data_as<float>();
  const int64_t token_stride = x.stride_bytes(0);
  const int64_t head_stride = x.ndim() == 3 ? x.stride_bytes(1) : 0;
  uint8_t* base = static_cast<uint8_t*>(x.data());
  for_rows(ctx, n_tokens, n_heads * head_dim, [&](int64_t begin, int64_t end) {
    float cos_sin[2 * kMaxRopeFreqs];
    for (int64_t t = begin; t < end; ++t) {
      // The angle is rounded to f32 before cos/sin, as Hugging Face computes it (f32 outer product);
      // cos/sin themselves are evaluated in double so every level shares one table.
      for (int64_t i = 0; i < num_freqs; ++i) {
        const float angle = static_cast<float>(pos[t]) * omega[i];
        cos_sin[i] = static_cast<float>(std::cos(static_cast<double>(angle))) * params.attn_factor;
        cos_sin[num_freqs + i] =
            static_cast<float>(std::sin(static_cast<double>(angle))) * params.attn_factor;
      }
      for (int64_t h = 0; h < n_heads; ++h) {
        fn(reinterpret_cast<float*>(base + t * token_stride + h * head_stride), cos_sin, num_freqs);
      }
    }
  });
}

void topk(const KernelContext& ctx, const Tensor& x, int k, Tensor& indices, Tensor* values) {
  const Rows xr(x, "topk", "x");
  SEEK_CHECK(k >= 1 && k <= xr.cols(), "topk: k = " << k << " must be in [1, " << xr.cols() << "]");
  SEEK_CHECK(indices.dtype() == DType::kI32 && indices.ndim() == 2 && indices.dim(0) == xr.rows() &&
                 indices.dim(1) == k && indices.stride_bytes(1) == 4,
             "topk: indices must be i32 [" << xr.rows() << ", " << k << "] with contiguous rows, got "
                                           << dtype_name(indices.dtype()) << " " << indices.shape_string());
  const bool want_values = values != nullptr && values->data() != nullptr;
  if (want_values) {
    SEEK_CHECK(values->dtype() == DType::kF32 && values->ndim() == 2 && values->dim(0) == xr.rows() &&
                   values->dim(1) == k && values->stride_bytes(1) == 4,
               "topk: values must be f32 [" << xr.rows() << ", " << k << "] with contiguous rows, got "
                                            << values->shape_string());
  }
  const TopkFn fn = pick(ctx.level, &RowBackend::topk);
  for_rows(ctx, xr.rows(), xr.cols(), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* vals = want_values ? reinterpret_cast<float*>(values->row(r)) : nullptr;
      fn(xr.row(r), xr.cols(), k, reinterpret_cast<int32_t*>(indices.row(r)), vals);
    }
  });
}

}  // namespace seek::kernels
