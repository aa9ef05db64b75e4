// Row ops with AVX-512: silu, swiglu, rmsnorm, softmax, rope, topk. All are memory bound; the point
// is one pass (two for softmax) at full vector width with masked tails instead of scalar loops.
// NaN handling matches the reference: exp_ps propagates NaN, and max reductions put the
// accumulator second so a NaN element is skipped exactly like `if (v > max)`.
#include <cmath>

#include "kernels/backend.h"
#include "kernels/cpu/simd_avx512.h"
#include "kernels/cpu/topk_select.h"

namespace seek::kernels::avx512 {
namespace {

__mmask16 tail_mask(int64_t count) { return static_cast<__mmask16>((1u << count) - 1); }

__m512 silu_ps(__m512 z) {
  const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), z));
  return _mm512_div_ps(z, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

void silu(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, silu_ps(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, silu_ps(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm512_storeu_ps(out + i, _mm512_mul_ps(silu_ps(_mm512_loadu_ps(gate + i)), _mm512_loadu_ps(up + i)));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v =
        _mm512_mul_ps(silu_ps(_mm512_maskz_loadu_ps(m, gate + i)), _mm512_maskz_loadu_ps(m, up + i));
    _mm512_mask_storeu_ps(out + i, m, v);
  }
}

void rmsnorm(const float* x, const float* w, float eps, float* y, int64_t d) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= d; i += 64) {
    for (int u = 0; u < 4; ++u) {
      const __m512 v = _mm512_loadu_ps(x + i + 16 * u);
      acc[u] = _mm512_fmadd_ps(v, v, acc[u]);
    }
  }
  for (; i < d; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(d - i >= 16 ? 0xFFFF : tail_mask(d - i), x + i);
    acc[0] = _mm512_fmadd_ps(v, v, acc[0]);
  }
  const float sum_sq =
      _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
  const float inv_rms =
      static_cast<float>(1.0 / std::sqrt(static_cast<double>(sum_sq) / static_cast<double>(d) + eps));
  const __m512 s = _mm512_set1_ps(inv_rms);
  for (i = 0; i + 16 <= d; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), s), _mm512_loadu_ps(w + i)));
  }
  if (i < d) {
    const __mmask16 m = tail_mask(d - i);
    const __m512 v =
        _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), s), _mm512_maskz_loadu_ps(m, w + i));
    _mm512_mask_storeu_ps(y + i, m, v);
  }
}

void softmax(float* x, int64_t n, float scale) {
  const __m512 vscale = _mm512_set1_ps(scale);
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  __mmask16 nan_seen = 0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? 0xFFFF : tail_mask(n - i);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vscale);
    _mm512_mask_storeu_ps(x + i, m, v);
    vmax = _mm512_mask_max_ps(vmax, m, v, vmax);
    nan_seen |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
  }
  const float max = _mm512_reduce_max_ps(vmax);
  if (max == -INFINITY) {  // all -inf (or NaN): zeros, or NaN like the reference
    const __m512 fill = _mm512_set1_ps(nan_seen ? NAN : 0.0f);
    for (int64_t i = 0; i < n; i += 16)
      _mm512_mask_storeu_ps(x + i, n - i >= 16 ? 0xFFFF : tail_mask(n - i), fill);
    return;
  }
  const __m512 vm = _mm512_set1_ps(max);
  __m512 vsum = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? 0xFFFF : tail_mask(n - i);
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vm));
    _mm512_mask_storeu_ps(x + i, m, e);
    vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
  }
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? 0xFFFF : tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

// Pairs (x[2i], x[2i+1]): x' = x·cos + swap(x)·(∓sin), eight pairs per register.
void rope_interleaved(float* x, const float* cos_sin, int64_t num_freqs) {
  const float* sin = cos_sin + num_freqs;
  const __m512i dup = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512 sign = _mm512_setr_ps(-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1);
  for (int64_t i = 0; i < num_freqs; i += 8) {
    const int64_t left = num_freqs - i < 8 ? num_freqs - i : 8;
    const __mmask8 mf = static_cast<__mmask8>((1u << left) - 1);
    const __mmask16 mx = tail_mask(2 * left);
    const __m512 c =
        _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(mf, cos_sin + i)));
    const __m512 s = _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(mf, sin + i)));
    const __m512 v = _mm512_maskz_loadu_ps(mx, x + 2 * i);
    const __m512 swapped = _mm512_permute_ps(v, 0xB1);
    const __m512 r = _mm512_fmadd_ps(v, c, _mm512_mul_ps(swapped, _mm512_mul_ps(s, sign)));
    _mm512_mask_storeu_ps(x + 2 * i, mx, r);
  }
}

// Pairs (x[i], x[i + f]).
void rope_half(float* x, const float* cos_sin, int64_t num_freqs) {
  const float* sin = cos_sin + num_freqs;
  for (int64_t i = 0; i < num_freqs; i += 16) {
    const __mmask16 m = num_freqs - i >= 16 ? 0xFFFF : tail_mask(num_freqs - i);
    const __m512 c = _mm512_maskz_loadu_ps(m, cos_sin + i), s = _mm512_maskz_loadu_ps(m, sin + i);
    const __m512 x0 = _mm512_maskz_loadu_ps(m, x + i), x1 = _mm512_maskz_loadu_ps(m, x + num_freqs + i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_fmsub_ps(x0, c, _mm512_mul_ps(x1, s)));
    _mm512_mask_storeu_ps(x + num_freqs + i, m, _mm512_fmadd_ps(x0, s, _mm512_mul_ps(x1, c)));
  }
}

int64_t next_greater(const float* x, int64_t from, int64_t n, float threshold) {
  const __m512 t = _mm512_set1_ps(threshold);
  int64_t i = from;
  for (; i + 16 <= n; i += 16) {
    const __mmask16 m = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), t, _CMP_GT_OQ);
    if (m != 0) return i + __builtin_ctz(m);
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

}  // namespace seek::kernels::avx512
