// Shared fixtures for the kernel tests: contexts per implementation level, seeded random tensors.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/compare.h"
#include "core/arena.h"
#include "core/cpu_features.h"
#include "core/quant.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {

inline bool level_available(KernelLevel level) {
  return static_cast<int>(level) <= static_cast<int>(best_kernel_level());
}

// The fast levels every kernel test runs at (each against KernelLevel::kScalar, the reference).
inline std::vector<KernelLevel> fast_levels() { return {KernelLevel::kAvx2, KernelLevel::kAvx512}; }

inline std::string level_param_name(const ::testing::TestParamInfo<KernelLevel>& info) {
  return kernel_level_name(info.param);
}

// A thread pool, a scratch arena and one context per level.
class KernelEnv {
 public:
  KernelEnv() : pool_(2), scratch_(64u << 20) {}
  KernelContext context(KernelLevel level) {
    KernelContext ctx;
    ctx.pool = &pool_;
    ctx.scratch = &scratch_;
    ctx.level = level;
    return ctx;
  }
  Arena& scratch() { return scratch_; }

 private:
  ThreadPool pool_;
  Arena scratch_;
};

inline KernelEnv& env() {
  static KernelEnv e;
  return e;
}

// Uniform values in [-scale, scale) from a fixed-seed generator (one per test, so failures reproduce).
inline void fill_uniform(float* p, int64_t n, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  for (int64_t i = 0; i < n; ++i) p[i] = dist(rng);
}

// Relative RMS error of a quantise -> dequantise round trip over 8 rows of 1,024 values drawn from
// N(offset, 1).
inline double round_trip_error(DType type, float offset, std::mt19937& rng) {
  std::normal_distribution<float> dist(offset, 1.0f);
  std::vector<float> x(8 * 1024), y(x.size());
  for (float& v : x) v = dist(rng);
  std::vector<uint8_t> q(dtype_row_bytes(type, 1024) * 8);
  double err = 0, norm = 0;
  for (int r = 0; r < 8; ++r) {
    quantize_row(type, x.data() + r * 1024, q.data() + r * dtype_row_bytes(type, 1024), 1024);
    dequantize_row(type, q.data() + r * dtype_row_bytes(type, 1024), y.data() + r * 1024, 1024);
  }
  for (size_t i = 0; i < x.size(); ++i) {
    err += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
    norm += x[i] * static_cast<double>(x[i]);
  }
  return std::sqrt(err / norm);
}

inline Tensor random_f32(const std::vector<int64_t>& shape, std::mt19937& rng, float scale = 1.0f) {
  Tensor t = Tensor::empty(DType::kF32, shape);
  fill_uniform(t.data_as<float>(), t.numel(), rng, scale);
  return t;
}

// An f32 tensor converted to `dtype` row by row with the reference quantisers.
inline Tensor convert_rows(const Tensor& src, DType dtype) {
  Tensor out = Tensor::empty(dtype, src.shape());
  const int64_t cols = src.dim(-1), rows = src.numel() / cols;
  for (int64_t r = 0; r < rows; ++r) quantize_row(dtype, src.data_as<float>() + r * cols, out.row(r), cols);
  return out;
}

// Copies a (possibly strided) f32 2-D tensor into a dense vector, row by row.
inline std::vector<float> dense(const Tensor& t) {
  const int64_t rows = t.ndim() == 1 ? 1 : t.dim(0), cols = t.dim(-1);
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = reinterpret_cast<const float*>(t.row(r));
    for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(r * cols + c)] = p[c];
  }
  return out;
}

// A [n, k] FP8 weight of random values in about ±2 with random scales per block_rows x block_cols
// block; `nan_at` (if >= 0) puts an e4m3 NaN code at that flat index.
inline Tensor random_fp8(int64_t n, int64_t k, std::mt19937& rng, int64_t block_rows = 128,
                         int64_t block_cols = 128, int64_t nan_at = -1) {
  Tensor w = Tensor::empty(DType::kF8E4M3, {n, k});
  std::uniform_real_distribution<float> value(-2.0f, 2.0f), scale(0.25f, 4.0f);
  uint8_t* q = w.data_as<uint8_t>();
  for (int64_t i = 0; i < n * k; ++i) q[i] = f32_to_f8e4m3(value(rng));
  if (nan_at >= 0) q[nan_at] = 0x7F;
  const int64_t srows = (n + block_rows - 1) / block_rows, scols = (k + block_cols - 1) / block_cols;
  Tensor scales = Tensor::empty(DType::kF32, {srows, scols});
  for (int64_t i = 0; i < srows * scols; ++i) scales.data_as<float>()[i] = scale(rng) * 1e-2f;
  return fp8_with_block_scales(w, scales, block_rows, block_cols, "test weight");
}

// Runs run(ctx) with ctx.scratch an arena of exactly `bytes` (an op's advertised scratch size): the
// op asserts (aborts) if it needed more, and must give everything back.
template <typename F>
void expect_runs_in_exact_arena(KernelContext ctx, size_t bytes, F&& run) {
  Arena exact(std::max<size_t>(64, bytes));
  ctx.scratch = &exact;
  run(static_cast<const KernelContext&>(ctx));
  EXPECT_EQ(exact.used(), 0u);
}

#define SKIP_IF_UNAVAILABLE(level)                                      \
  do {                                                                  \
    if (!::seek::kernels::test::level_available(level))                 \
      GTEST_SKIP() << "CPU lacks " << ::seek::kernel_level_name(level); \
  } while (0)

// Shared by the matmul tests: every weight type, and the documented error of the fast paths
// (kernels.h): f32 rounding only, except bf16 weights in prefill with VDPBF16PS, which round x to
// bf16 (relative error 2^-9 per product).
namespace matmul_test {
inline constexpr DType kWeightTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0};
// The K-quants, q4_1/q5_0/q5_1 and iq4_nl/iq4_xs: the types the AVX2 kernels read 256 values at a time.
inline constexpr DType kGroupedQuantTypes[] = {DType::kQ2_K, DType::kQ3_K,  DType::kQ4_K,  DType::kQ5_K,
                                               DType::kQ6_K, DType::kQ4_1,  DType::kQ5_0,  DType::kQ5_1,
                                               DType::kIQ4_NL, DType::kIQ4_XS};
inline ::seek::test::Tolerance tolerance(DType wtype, KernelLevel level, int64_t m) {
  if (wtype == DType::kBF16 && level == KernelLevel::kAvx512 && m >= kMatmulBf16DotMinRows &&
      cpu_features().avx512_bf16) {
    return {.rel_l2 = 4e-3};
  }
  return {.rel_l2 = 2e-5};
}
}  // namespace matmul_test

}  // namespace seek::kernels::test
