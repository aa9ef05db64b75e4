#include "model/mla_layout.h"

#include <cstring>

#include "core/error.h"

namespace seek {

Tensor mla_w_uk_transposed(const Tensor& kv_b, int64_t heads, int64_t nope, int64_t v_dim, int64_t rank) {
  const Tensor w = kv_b.to_f32();  // [H * (nope + v), rank]
  SEEK_ASSERT(w.numel() == heads * (nope + v_dim) * rank);
  Tensor t = Tensor::empty(DType::kF32, {heads, rank, nope});
  const float* src = w.data_as<float>();
  float* dst = t.data_as<float>();
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t d = 0; d < nope; ++d)
      for (int64_t c = 0; c < rank; ++c) dst[(h * rank + c) * nope + d] = src[(h * (nope + v_dim) + d) * rank + c];
  return t;
}

Tensor mla_kv_b_from_split(const Tensor& k_b_stored, const Tensor& v_b_stored) {
  const Tensor k_b = k_b_stored.to_f32(), v_b = v_b_stored.to_f32();
  const int64_t heads = k_b.dim(0), rank = k_b.dim(1), nope = k_b.dim(2), v_dim = v_b.dim(1);
  Tensor out = Tensor::empty(DType::kF32, {heads * (nope + v_dim), rank});
  float* o = out.data_as<float>();
  const float* kb = k_b.data_as<float>();
  const float* vb = v_b.data_as<float>();
  for (int64_t h = 0; h < heads; ++h) {
    float* block = o + h * (nope + v_dim) * rank;
    for (int64_t d = 0; d < nope; ++d)
      for (int64_t c = 0; c < rank; ++c) block[d * rank + c] = kb[(h * rank + c) * nope + d];
    std::memcpy(block + nope * rank, vb + h * v_dim * rank, static_cast<size_t>(v_dim * rank) * sizeof(float));
  }
  return out;
}

}  // namespace seek
