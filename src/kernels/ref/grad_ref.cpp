// The definitions of the training passes (kernels/grad.h): plain loops, sums in double.
#include <cmath>

#include "kernels/backend.h"
#include "kernels/grad.h"

namespace seek::kernels::ref {
namespace {

void add(float* y, const float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void scale(float* x, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

double sum_squares(const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

void swiglu_backward(const float* gate, const float* up, const float* dy, float* dgate, float* dup, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = 1.0f / (1.0f + std::exp(-gate[i]));
    // silu(g) = g s;  silu'(g) = s (1 + g (1 - s))
    if (dgate != nullptr) dgate[i] += dy[i] * up[i] * s * (1.0f + gate[i] * (1.0f - s));
    if (dup != nullptr) dup[i] += dy[i] * gate[i] * s;
  }
}

void rmsnorm_backward(const float* x, const float* w, const float* dy, float eps, float* dx, float* dw, int64_t d) {
  double ss = 0.0, dot = 0.0;
  for (int64_t j = 0; j < d; ++j) {
    ss += static_cast<double>(x[j]) * x[j];
    dot += static_cast<double>(w[j]) * dy[j] * x[j];
  }
  const double r = 1.0 / std::sqrt(ss / static_cast<double>(d) + eps);
  const double c = r * r * r * dot / static_cast<double>(d);
  for (int64_t j = 0; j < d; ++j) {
    if (dw != nullptr) dw[j] += static_cast<float>(static_cast<double>(dy[j]) * x[j] * r);
    if (dx != nullptr) dx[j] += static_cast<float>(r * w[j] * dy[j] - c * x[j]);
  }
}

void adamw(float* w, const float* g, float* m, float* v, int64_t n, const AdamWUpdate& u) {
  for (int64_t j = 0; j < n; ++j) {
    w[j] *= u.keep;
    m[j] = u.b1 * m[j] + (1.0f - u.b1) * g[j];
    v[j] = u.b2 * v[j] + (1.0f - u.b2) * g[j] * g[j];
    w[j] -= u.step_size * m[j] / (std::sqrt(v[j]) * u.inv_sqrt_bc2 + u.eps);
  }
}

void softmax_backward(const float* p, float* dp, float scale, int64_t n) {
  double dot = 0.0;
  for (int64_t j = 0; j < n; ++j) dot += static_cast<double>(p[j]) * dp[j];
  for (int64_t j = 0; j < n; ++j) dp[j] = static_cast<float>(p[j] * (dp[j] - dot) * scale);
}

}  // namespace

const GradBackend kGrad = {&add, &scale, &sum_squares, &swiglu_backward, &rmsnorm_backward, &adamw, &softmax_backward};

}  // namespace seek::kernels::ref
