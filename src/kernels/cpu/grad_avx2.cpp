// The training passes (kernels/grad.h) with AVX2: 8 lanes, tails through maskload/maskstore. Also
// what AVX-512 CPUs run: these passes are bound by memory traffic, not by vector width.
#include <immintrin.h>

#include <cmath>

#include "kernels/backend.h"
#include "kernels/cpu/simd_avx2.h"
#include "kernels/grad.h"

namespace seek::kernels::avx2 {
namespace {

// Calls body(i, mask) for every 8-lane step of [0, n): full steps with an all-ones mask, then the
// tail with a partial one. body loads and stores through load()/store() below.
template <typename F>
void for_lanes(int64_t n, F&& body) {
  const __m256i all = _mm256_set1_epi32(-1);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) body(i, all);
  if (i < n) body(i, tail_mask(n - i));
}
__m256 load(const float* p, __m256i mask) { return _mm256_maskload_ps(p, mask); }
void store(float* p, __m256i mask, __m256 v) { _mm256_maskstore_ps(p, mask, v); }

void add(float* y, const float* a, const float* b, int64_t n) {
  for_lanes(n, [&](int64_t i, __m256i k) { store(y + i, k, _mm256_add_ps(load(a + i, k), load(b + i, k))); });
}

void scale(float* x, float s, int64_t n) {
  const __m256 vs = _mm256_set1_ps(s);
  for_lanes(n, [&](int64_t i, __m256i k) { store(x + i, k, _mm256_mul_ps(load(x + i, k), vs)); });
}

// f32 lanes over blocks of 4096 values (error ~1e-7 relative), summed in double across blocks.
double sum_squares(const float* x, int64_t n) {
  double total = 0.0;
  for (int64_t b = 0; b < n; b += 4096) {
    const int64_t len = n - b < 4096 ? n - b : 4096;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    int64_t i = 0;
    for (; i + 16 <= len; i += 16) {
      const __m256 a = _mm256_loadu_ps(x + b + i), c = _mm256_loadu_ps(x + b + i + 8);
      acc[0] = _mm256_fmadd_ps(a, a, acc[0]);
      acc[1] = _mm256_fmadd_ps(c, c, acc[1]);
    }
    for (; i < len; i += 8) {
      const __m256 a = _mm256_maskload_ps(x + b + i, tail_mask(len - i));
      acc[0] = _mm256_fmadd_ps(a, a, acc[0]);
    }
    total += static_cast<double>(hsum(_mm256_add_ps(acc[0], acc[1])));
  }
  return total;
}

void swiglu_backward(const float* gate, const float* up, const float* dy, float* dgate, float* dup, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for_lanes(n, [&](int64_t i, __m256i k) {
    const __m256 g = load(gate + i, k), d = load(dy + i, k);
    const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    if (dgate != nullptr) {
      // dy · up · s · (1 + g (1 - s))
      const __m256 ds = _mm256_mul_ps(s, _mm256_fmadd_ps(g, _mm256_sub_ps(one, s), one));
      store(dgate + i, k, _mm256_fmadd_ps(_mm256_mul_ps(d, load(up + i, k)), ds, load(dgate + i, k)));
    }
    if (dup != nullptr) store(dup + i, k, _mm256_fmadd_ps(d, _mm256_mul_ps(g, s), load(dup + i, k)));
  });
}

void rmsnorm_backward(const float* x, const float* w, const float* dy, float eps, float* dx, float* dw, int64_t d) {
  __m256 ss = _mm256_setzero_ps(), dot = _mm256_setzero_ps();
  for_lanes(d, [&](int64_t j, __m256i k) {
    const __m256 xv = load(x + j, k);
    ss = _mm256_fmadd_ps(xv, xv, ss);
    dot = _mm256_fmadd_ps(_mm256_mul_ps(load(w + j, k), load(dy + j, k)), xv, dot);
  });
  const double r = 1.0 / std::sqrt(static_cast<double>(hsum(ss)) / static_cast<double>(d) + eps);
  const __m256 vr = _mm256_set1_ps(static_cast<float>(r));
  const __m256 vc = _mm256_set1_ps(static_cast<float>(r * r * r * static_cast<double>(hsum(dot)) / static_cast<double>(d)));
  for_lanes(d, [&](int64_t j, __m256i k) {
    const __m256 xv = load(x + j, k), g = load(dy + j, k);
    if (dw != nullptr) store(dw + j, k, _mm256_fmadd_ps(_mm256_mul_ps(g, xv), vr, load(dw + j, k)));
    if (dx != nullptr) {
      const __m256 t = _mm256_fmsub_ps(_mm256_mul_ps(vr, load(w + j, k)), g, _mm256_mul_ps(vc, xv));
      store(dx + j, k, _mm256_add_ps(load(dx + j, k), t));
    }
  });
}

void adamw(float* w, const float* g, float* m, float* v, int64_t n, const AdamWUpdate& u) {
  const __m256 keep = _mm256_set1_ps(u.keep), b1 = _mm256_set1_ps(u.b1), b2 = _mm256_set1_ps(u.b2);
  const __m256 c1 = _mm256_set1_ps(1.0f - u.b1), c2 = _mm256_set1_ps(1.0f - u.b2);
  const __m256 step = _mm256_set1_ps(u.step_size), bc2 = _mm256_set1_ps(u.inv_sqrt_bc2), eps = _mm256_set1_ps(u.eps);
  for_lanes(n, [&](int64_t j, __m256i k) {
    const __m256 gv = load(g + j, k);
    const __m256 mv = _mm256_add_ps(_mm256_mul_ps(b1, load(m + j, k)), _mm256_mul_ps(c1, gv));
    const __m256 vv = _mm256_add_ps(_mm256_mul_ps(b2, load(v + j, k)), _mm256_mul_ps(_mm256_mul_ps(c2, gv), gv));
    const __m256 denom = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vv), bc2), eps);
    const __m256 wv = _mm256_mul_ps(load(w + j, k), keep);
    store(m + j, k, mv);
    store(v + j, k, vv);
    store(w + j, k, _mm256_sub_ps(wv, _mm256_div_ps(_mm256_mul_ps(step, mv), denom)));
  });
}

void softmax_backward(const float* p, float* dp, float scale, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  for_lanes(n, [&](int64_t j, __m256i k) { acc = _mm256_fmadd_ps(load(p + j, k), load(dp + j, k), acc); });
  const __m256 dot = _mm256_set1_ps(hsum(acc)), vs = _mm256_set1_ps(scale);
  for_lanes(n, [&](int64_t j, __m256i k) {
    store(dp + j, k, _mm256_mul_ps(_mm256_mul_ps(load(p + j, k), _mm256_sub_ps(load(dp + j, k), dot)), vs));
  });
}

}  // namespace

const GradBackend kGrad = {&add, &scale, &sum_squares, &swiglu_backward, &rmsnorm_backward, &adamw, &softmax_backward};

}  // namespace seek::kernels::avx2
