// Row ops with AVX2 (8 lanes): the same passes as rows_avx512.cpp, tails through maskload/maskstore.
// NaN handling matches the reference (see rows_avx512.cpp).
#include <immintrin.h>

#include <cmath>

#include "kernels/backend.h"
#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/topk_select.h"

namespace seek::kernels::avx2 {
namespace {

__m256 silu_ps(__m256 z) {
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), z));
  return _mm256_div_ps(z, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

void silu(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, silu_ps(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(x + i, m, silu_ps(_mm256_maskload_ps(x + i, m)));
  }
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_mul_ps(silu_ps(_mm256_loadu_ps(gate + i)), _mm256_loadu_ps(up + i)));
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    const __m256 v = _mm256_mul_ps(silu_ps(_mm256_maskload_ps(gate + i, m)), _mm256_maskload_ps(up + i, m));
    _mm256_maskstore_ps(out + i, m, v);
  }
}

void rmsnorm(const float* x, const float* w, float eps, float* y, int64_t d) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= d; i += 32) {
    for (int u = 0; u < 4; ++u) {
      const __m256 v = _mm256_loadu_ps(x + i + 8 * u);
      acc[u] = _mm256_fmadd_ps(v, v, acc[u]);
    }
  }
  for (; i < d; i += 8) {
    const __m256 v = _mm256_maskload_ps(x + i, tail_mask(d - i));
    acc[0] = _mm256_fmadd_ps(v, v, acc[0]);
  }
  const float sum_sq = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  const float inv_rms =
      static_cast<float>(1.0 / std::sqrt(static_cast<double>(sum_sq) / static_cast<double>(d) + eps));
  const __m256 s = _mm256_set1_ps(inv_rms);
  for (i = 0; i + 8 <= d; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), _mm256_loadu_ps(w + i)));
  }
  if (i < d) {
    const __m256i m = tail_mask(d - i);
    const __m256 v =
        _mm256_mul_ps(_mm256_mul_ps(_mm256_maskload_ps(x + i, m), s), _mm256_maskload_ps(w + i, m));
    _mm256_maskstore_ps(y + i, m, v);
  }
}

void softmax(float* x, int64_t n, float scale) {
  const __m256 vscale = _mm256_set1_ps(scale);
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  __m256 nan_seen = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, m), vscale);
    _mm256_maskstore_ps(x + i, m, v);
    // Lanes past the end count as -inf; max(v, acc) skips NaN like `if (v > max)`.
    const __m256 live = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), v, _mm256_castsi256_ps(m));
    vmax = _mm256_max_ps(live, vmax);
    nan_seen = _mm256_or_ps(nan_seen, _mm256_cmp_ps(live, live, _CMP_UNORD_Q));
  }
  const float max = hmax(vmax);
  if (max == -INFINITY) {
    const float fill = _mm256_movemask_ps(nan_seen) ? NAN : 0.0f;
    for (int64_t i = 0; i < n; ++i) x[i] = fill;
    return;
  }
  const __m256 vm = _mm256_set1_ps(max);
  __m256 vsum = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    const __m256 e =
        _mm256_and_ps(exp_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), vm)), _mm256_castsi256_ps(m));
    _mm256_maskstore_ps(x + i, m, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / hsum(vsum));
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(_mm256_maskload_ps(x + i, m), inv));
  }
}

void rope_interleaved(float* x, const float* cos_sin, int64_t num_freqs) {
  const float* sin = cos_sin + num_freqs;
  const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  const __m256 sign = _mm256_setr_ps(-1, 1, -1, 1, -1, 1, -1, 1);
  int64_t i = 0;
  for (; i + 4 <= num_freqs; i += 4) {
    const __m256 c = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(cos_sin + i)), dup);
    const __m256 s = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(sin + i)), dup);
    const __m256 v = _mm256_loadu_ps(x + 2 * i);
    const __m256 swapped = _mm256_permute_ps(v, 0xB1);
    _mm256_storeu_ps(x + 2 * i, _mm256_fmadd_ps(v, c, _mm256_mul_ps(swapped, _mm256_mul_ps(s, sign))));
  }
  for (; i < num_freqs; ++i) {
    const float x0 = x[2 * i], x1 = x[2 * i + 1];
    x[2 * i] = x0 * cos_sin[i] - x1 * sin[i];
    x[2 * i + 1] = x0 * sin[i] + x1 * cos_sin[i];
  }
}

void rope_half(float* x, const float* cos_sin, int64_t num_freqs) {
  const float* sin = cos_sin + num_freqs;
  for (int64_t i = 0; i < num_freqs; i += 8) {
    const __m256i m = tail_mask(num_freqs - i);
    const __m256 c = _mm256_maskload_ps(cos_sin + i, m), s = _mm256_maskload_ps(sin + i, m);
    const __m256 x0 = _mm256_maskload_ps(x + i, m), x1 = _mm256_maskload_ps(x + num_freqs + i, m);
    _mm256_maskstore_ps(x + i, m, _mm256_fmsub_ps(x0, c, _mm256_mul_ps(x1, s)));
    _mm256_maskstore_ps(x + num_freqs + i, m, _mm256_fmadd_ps(x0, s, _mm256_mul_ps(x1, c)));
  }
}

int64_t next_greater(const float* x, int64_t from, int64_t n, float threshold) {
  const __m256 t = _mm256_set1_ps(threshold);
  int64_t i = from;
  for (; i + 8 <= n; i += 8) {
    const int m = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), t, _CMP_GT_OQ));
    if (m != 0) return i + __builtin_ctz(static_cast<unsigned>(m));
  }
  for (; i < n; ++i)
    if (x[i] > threshold) return i;
  return n;
}

void topk(const float* x, int64_t n, int k, int32_t* indices, float* values) {
  topk_select(x, n, k, indices, values, next_greater);
}

}  // namespace

const RowBackend kRows = {&silu, &swiglu, &rmsnorm, &softmax, &rope_interleaved, &rope_half, &topk};

}  // namespace seek::kernels::avx2
