// Attention: operand checks and the split over (query, head) pairs. The inner loops are the plain
// definition (dot products, softmax, weighted sum); they run at memory speed for the small caches of
// the model tests and are the reference a fused kernel will be tested against.
#include "kernels/attention.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace seek::kernels {

namespace {

void check_rows(const Tensor& t, const char* what) {
  SEEK_CHECK(t.dtype() == DType::kF32 && t.ndim() == 3, "attention: " << what << " must be f32 3-D, got "
                                                                      << dtype_name(t.dtype()) << " "
                                                                      << t.shape_string());
  SEEK_CHECK(t.dim(2) <= 1 || t.stride_bytes(2) == 4, "attention: " << what << " rows must be contiguous");
}

inline const float* at(const Tensor& t, int64_t i, int64_t h) {
  return reinterpret_cast<const float*>(static_cast<const uint8_t*>(t.data()) + i * t.stride_bytes(0) +
                                        h * t.stride_bytes(1));
}

}  // namespace

size_t attention_scratch_bytes(const KernelContext& ctx, int64_t max_keys) {
  const int threads = ctx.pool != nullptr ? ctx.pool->num_threads() : 1;
  return static_cast<size_t>(threads) * static_cast<size_t>((max_keys * 4 + 63) / 64 * 64);
}

void attention(const KernelContext& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& q_positions, const AttentionParams& params, Tensor& out) {
  check_rows(q, "q");
  check_rows(k, "k");
  check_rows(v, "v");
  check_rows(out, "out");
  const int64_t n_q = q.dim(0), heads = params.num_heads, kv_heads = params.num_kv_heads;
  const int64_t dk = q.dim(2), dv = v.dim(2), n_keys = k.dim(0);
  SEEK_CHECK(heads > 0 && kv_heads > 0 && heads % kv_heads == 0,
             "attention: " << heads << " heads do not divide into " << kv_heads << " kv heads");
  SEEK_CHECK(q.dim(1) == heads && k.dim(1) == kv_heads && v.dim(1) == kv_heads && k.dim(2) == dk &&
                 v.dim(0) == n_keys && out.dim(0) == n_q && out.dim(1) == heads && out.dim(2) == dv,
             "attention: shapes q " << q.shape_string() << " k " << k.shape_string() << " v " << v.shape_string()
                                    << " out " << out.shape_string() << " do not agree");
  SEEK_CHECK(q_positions.dtype() == DType::kI32 && q_positions.numel() == n_q,
             "attention: q_positions must be i32 [" << n_q << "]");
  SEEK_ASSERT(ctx.pool != nullptr && ctx.scratch != nullptr);
  const int32_t* pos = q_positions.data_as<int32_t>();
  for (int64_t i = 0; i < n_q; ++i)
    SEEK_CHECK(pos[i] >= 0 && pos[i] < n_keys, "attention: query position " << pos[i] << " outside the "
                                                                            << n_keys << " cached keys");
  const size_t mark = ctx.scratch->mark();
  const int64_t row_floats = (n_keys + 15) / 16 * 16;
  float* scores_all = ctx.scratch->allocate_array<float>(static_cast<size_t>(ctx.pool->num_threads() * row_floats));
  const int64_t group = heads / kv_heads;

  ctx.pool->run([&](int thread_idx) {
    float* scores = scores_all + thread_idx * row_floats;
    const int64_t pairs = n_q * heads;
    const int64_t nt = ctx.pool->num_threads();
    const int64_t begin = pairs * thread_idx / nt, end = pairs * (thread_idx + 1) / nt;
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t i = pair / heads, h = pair % heads, kvh = h / group;
      const float* qi = at(q, i, h);
      const int64_t n_seen = pos[i] + 1;
      float max_score = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < n_seen; ++j) {
        const float* kj = at(k, j, kvh);
        float dot = 0.0f;
        for (int64_t c = 0; c < dk; ++c) dot += qi[c] * kj[c];
        scores[j] = dot * params.scale;
        max_score = std::max(max_score, scores[j]);
      }
      float sum = 0.0f;
      for (int64_t j = 0; j < n_seen; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        sum += scores[j];
      }
      const float inv = 1.0f / sum;
      float* o = const_cast<float*>(at(out, i, h));
      for (int64_t c = 0; c < dv; ++c) o[c] = 0.0f;
      for (int64_t j = 0; j < n_seen; ++j) {
        const float p = scores[j] * inv;
        const float* vj = at(v, j, kvh);
        for (int64_t c = 0; c < dv; ++c) o[c] += p * vj[c];
      }
    }
  });
  ctx.scratch->release(mark);
}

}  // namespace seek::kernels
