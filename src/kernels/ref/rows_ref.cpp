// The definitions of the row ops: plain loops, sums in double, libm for exp.
// The SIMD families are tested against these.
#include <cmath>
#include <cstdint>

#include "kernels/backend.h"

namespace seek::kernels::ref {
namespace {

float silu_value(float z) { return z / (1.0f + std::exp(-z)); }

void silu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = silu_value(x[i]);
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = silu_value(gate[i]) * up[i];
}

void rmsnorm(const float* x, const float* w, float eps, float* y, int64_t d) {
  double sum_sq = 0.0;
  for (int64_t i = 0; i < d; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
  const float inv_rms = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(d) + eps));
  for (int64_t i = 0; i < d; ++i) y[i] = x[i] * inv_rms * w[i];
}

// softmax(scale · x). The max is taken over non-NaN values; a NaN anywhere makes the sum, and so
// the whole row, NaN. A row of -inf has no finite max: it becomes zeros (fully masked attention).
void softmax(float* x, int64_t n, float scale) {
  float max = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    x[i] *= scale;
    if (x[i] > max) max = x[i];
  }
  if (max == -INFINITY) {
    bool any_nan = false;
    for (int64_t i = 0; i < n; ++i) any_nan = any_nan || std::isnan(x[i]);
    for (int64_t i = 0; i < n; ++i) x[i] = any_nan ? NAN : 0.0f;
    return;
  }
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void rope_interleaved(float* x, const float* cos_sin, int64_t num_freqs) {
  const float* sin = cos_sin + num_freqs;
  for (int64_t i = 0; i < num_freqs; ++i) {
    const float x0 = x[2 * i], x1 = x[2 * i + 1];
    x[2 * i] = x0 * cos_sin[i] - x1 * sin[i];
    x[2 * i + 1] = x0 * sin[i] + x1 * cos_sin[i];
  }
}

void rope_half(float* x, const float* cos_sin, int64_t num_freqs) {
  const float* sin = cos_sin + num_freqs;
  for (int64_t i = 0; i < num_freqs; ++i) {
    const float x0 = x[i], x1 = x[i + num_freqs];
    x[i] = x0 * cos_sin[i] - x1 * sin[i];
    x[i + num_freqs] = x0 * sin[i] + x1 * cos_sin[i];
  }
}

// The order topk sorts by: larger value first, NaN last, equal values by lower index.
bool ranks_before(const float* x, int64_t a, int64_t b) {
  const bool a_nan = std::isnan(x[a]), b_nan = std::isnan(x[b]);
  if (a_nan || b_nan) return !a_nan || (b_nan && a < b);
  if (x[a] != x[b]) return x[a] > x[b];
  return a < b;
}

// Selection by repeated scans: the r-th pick is the best element ranked after the (r-1)-th.
// O(n·k), no memory, obviously right.
void topk(const float* x, int64_t n, int k, int32_t* indices, float* values) {
  int64_t prev = -1;
  for (int r = 0; r < k; ++r) {
    int64_t best = -1;
    for (int64_t i = 0; i < n; ++i) {
      if (prev >= 0 && !ranks_before(x, prev, i)) continue;
      if (best < 0 || ranks_before(x, i, best)) best = i;
    }
    indices[r] = static_cast<int32_t>(best);
    if (values != nullptr) values[r] = x[best];
    prev = best;
  }
}

}  // namespace

const RowBackend kRows = {&silu, &swiglu, &rmsnorm, &softmax, &rope_interleaved, &rope_half, &topk};

}  // namespace seek::kernels::ref
