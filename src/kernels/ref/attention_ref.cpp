// The definition of attention: for each (query, head) pair, the score row against every visible key,
// its softmax, and the weighted sum of values, in plain loops with sums in double. bf16 keys and
// values are widened to f32 exactly. The fast families (flash attention) are tested against this.
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/backend.h"

namespace seek::kernels::ref {
namespace {

size_t row_bytes(int64_t n_keys) { return static_cast<size_t>((n_keys * 4 + 63) / 64 * 64); }

float kv_value(DType kv_type, const uint8_t* row, int64_t idx) {
  if (kv_type == DType::kBF16) {
    uint16_t h;
    std::memcpy(&h, row + idx * 2, 2);
    return bf16_to_f32(h);
  }
  float v;
  std::memcpy(&v, row + idx * 4, 4);
  return v;
}

bool supports(DType kv_type) { return kv_type == DType::kF32 || kv_type == DType::kBF16; }

size_t scratch_bytes(int64_t n_keys, int num_threads) {
  return static_cast<size_t>(num_threads) * row_bytes(n_keys);
}

void run(const AttentionProblem& p, ThreadPool& pool, uint8_t* scratch) {
  const int64_t group = p.num_heads / p.num_kv_heads;
  // Pairs are split over the pool (unlike the single-threaded matmul reference) so that model tests
  // at the scalar level stay fast; each pair is still computed in one plain sequence.
  pool.run([&](int thread_idx) {
    float* scores = reinterpret_cast<float*>(scratch + thread_idx * row_bytes(p.n_keys));
    const int64_t pairs = p.n_q * p.num_heads;
    const int64_t nt = pool.num_threads();
    const int64_t begin = pairs * thread_idx / nt, end = pairs * (thread_idx + 1) / nt;
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t i = pair / p.num_heads, h = pair % p.num_heads, kvh = h / group;
      const float* qi = reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(p.q) +
                                                       i * p.q_stride + h * p.q_head_stride);
      float* o = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(p.out) + i * p.out_stride +
                                          h * p.out_head_stride);
      const int64_t n_seen = p.positions[i] + 1;
      float max_score = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < n_seen; ++j) {
        const uint8_t* kj = p.k + j * p.k_stride + kvh * p.k_head_stride;
        double dot = 0.0;
        for (int64_t c = 0; c < p.dk; ++c) dot += static_cast<double>(qi[c]) * kv_value(p.kv_type, kj, c);
        scores[j] = static_cast<float>(dot) * p.scale;
        max_score = std::max(max_score, scores[j]);
      }
      double sum = 0.0;
      for (int64_t j = 0; j < n_seen; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        sum += scores[j];
      }
      for (int64_t c = 0; c < p.dv; ++c) {
        double acc = 0.0;
        for (int64_t j = 0; j < n_seen; ++j) {
          acc += static_cast<double>(scores[j]) *
                 kv_value(p.kv_type, p.v + j * p.v_stride + kvh * p.v_head_stride, c);
        }
        o[c] = static_cast<float>(acc / sum);
      }
    }
  });
}

}  // namespace

const AttentionBackend kAttention = {&supports, nullptr, &scratch_bytes, &run};

}  // namespace seek::kernels::ref
