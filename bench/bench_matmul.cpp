// matmul throughput for every weight dtype on decode (m = 1, 8) and prefill (m = 64, 512) shapes, at the
// best kernel level with 2 threads, against this machine's measured ceilings (kernels/ceilings.h).
//
// Each case is first validated against the scalar reference (on the first rows of W), then timed.
// Counters: GFLOP/s (2·m·n·k per call), GB/s (weight bytes read per second), and the share of the
// relevant ceiling: decode against DRAM read bandwidth, prefill against the peak multiply-add rate of
// the weight type's arithmetic (f32 FMA for f32/f16, VDPBF16PS for bf16, VPDPBUSD for q8_0/q4_0),
// all measured by kernels/ceilings.h in this run (the read ceiling again just before each decode case).
// Decode cycles through enough copies of W to exceed the last-level cache several times over, so it
// measures DRAM streaming as a real model's decode does, not L3 hits.
//
// Usage: bench_matmul [--threads=N] [--benchmark_filter=...] [other Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#define SEEK_COMPARE_NO_GTEST  // benchmarks link no gtest
#include "../tests/common/compare.h"
#include "core/arena.h"
#include "core/cpu_features.h"
#include "core/quant.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/ceilings.h"
#include "kernels/kernels.h"

namespace {

using seek::DType;
using seek::Tensor;
namespace kn = seek::kernels;

int g_threads = 2;                                // --threads=N overrides (the reported figures use 2)
constexpr size_t kColdBytes = size_t{256} << 20;  // decode weights cycle through >= this many bytes
constexpr int64_t kValidateRows = 64;             // rows of W checked against the reference

struct Shape {
  int64_t m, n, k;
};

seek::ThreadPool& pool() {
  static seek::ThreadPool p(g_threads);
  return p;
}

kn::Ceilings g_ceilings;

// FP8 weights get DeepSeek-V3's 128 x 128 block scales (here all 1/64: only their reading costs).
Tensor with_unit_scales(const Tensor& w) {
  if (w.dtype() != DType::kF8E4M3) return w;
  Tensor scales = Tensor::empty(DType::kF32, {(w.dim(0) + 127) / 128, (w.dim(1) + 127) / 128});
  for (int64_t i = 0; i < scales.numel(); ++i) scales.data_as<float>()[i] = 1.0f / 64;
  return seek::fp8_with_block_scales(w, scales, 128, 128, "bench weight");
}

Tensor random_weights(DType wtype, int64_t n, int64_t k, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> row(static_cast<size_t>(k));
  Tensor w = Tensor::empty(wtype, {n, k});
  for (int64_t j = 0; j < n; ++j) {
    for (float& v : row) v = dist(rng);
    seek::quantize_row(wtype, row.data(), w.row(j), k);
  }
  return with_unit_scales(w);
}

// Another copy of w's bytes (and of its scales), at other addresses.
Tensor copy_weights(const Tensor& w) {
  Tensor c = Tensor::empty(w.dtype(), w.shape());
  std::memcpy(c.data(), w.data(), w.nbytes());
  return with_unit_scales(c);
}

// Peak arithmetic rate (ops/s) of the path matmul takes for this dtype and m. Quantised weights use
// int8 dot products where the CPU has VNNI; without it (AVX2) their prefill runs as an f32 GEMM on
// dequantised panels, so the f32 FMA peak is theirs.
double peak_ops(DType wtype, int64_t m) {
  if (wtype == DType::kQ8_0 || wtype == DType::kQ4_0)
    return (g_ceilings.int8_dot_gops > 0 ? g_ceilings.int8_dot_gops : g_ceilings.f32_fma_gflops) * 1e9;
  if (wtype == DType::kBF16 && m >= kn::kMatmulBf16DotMinRows && g_ceilings.bf16_dot_gflops > 0) {
    return g_ceilings.bf16_dot_gflops * 1e9;
  }
  return g_ceilings.f32_fma_gflops * 1e9;
}

// Per-case facts kept across the several calls Google Benchmark makes while sizing the run.
struct CaseState {
  bool validated = false;
  double read_gbs = 0.0;  // decode: read ceiling measured just before the case
};

void bench_matmul(benchmark::State& state, DType wtype, Shape s, CaseState* cs) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor x = Tensor::empty(DType::kF32, {s.m, s.k});
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = dist(rng);
  Tensor w = random_weights(wtype, s.n, s.k, rng);
  Tensor y = Tensor::empty(DType::kF32, {s.m, s.n});

  kn::KernelContext ctx;
  ctx.pool = &pool();
  seek::Arena scratch(kn::matmul_scratch_bytes(ctx, s.m, s.k, wtype) + 4096);
  ctx.scratch = &scratch;

  // Validate on the first rows of W against the reference (once per case).
  if (!cs->validated) {
    const Tensor w_head = w.narrow(0, 0, std::min(kValidateRows, s.n));
    Tensor y_fast = Tensor::empty(DType::kF32, {s.m, w_head.dim(0)});
    Tensor y_ref = Tensor::empty(DType::kF32, {s.m, w_head.dim(0)});
    seek::Arena ref_scratch(
        kn::matmul_scratch_bytes({&pool(), nullptr, seek::KernelLevel::kScalar}, s.m, s.k, wtype) + 64);
    kn::matmul({&pool(), &ref_scratch, seek::KernelLevel::kScalar}, x, w_head, y_ref);
    kn::matmul(ctx, x, w_head, y_fast);
    const bool bf16_dot =
        wtype == DType::kBF16 && s.m >= kn::kMatmulBf16DotMinRows && g_ceilings.bf16_dot_gflops > 0;
    const seek::test::CompareResult r = seek::test::compare(
        y_fast.data_as<float>(), y_ref.data_as<float>(), y_ref.numel(), {.rel_l2 = bf16_dot ? 4e-3 : 2e-5});
    if (!r.ok) {
      state.SkipWithError(("validation failed: " + r.report()).c_str());
      return;
    }
    cs->validated = true;
  }

  // This machine's DRAM bandwidth drifts (shared host): decode is compared with a read ceiling
  // measured right before it, once per case.
  if (s.m <= 8 && cs->read_gbs == 0.0)
    cs->read_gbs = kn::measure_read_bandwidth_gbs(pool(), {size_t{256} << 20, 3});

  // Decode: copies of W so that consecutive calls stream from DRAM.
  std::vector<Tensor> copies{w};
  if (s.m <= 8) {
    const size_t bytes = w.nbytes();
    const size_t count = std::max<size_t>(1, (kColdBytes + bytes - 1) / bytes);
    for (size_t c = 1; c < count; ++c) copies.push_back(copy_weights(w));
  }

  size_t next = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    kn::matmul(ctx, x, copies[next], y);
    next = next + 1 == copies.size() ? 0 : next + 1;
    benchmark::DoNotOptimize(y.data());
  }
  // Rates from our own clock so the counters read as plain numbers (GFLOP/s, GB/s, %), not "x/s".
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double calls_per_s = static_cast<double>(state.iterations()) / seconds;
  const double gflops = 2.0 * static_cast<double>(s.m * s.n * s.k) * calls_per_s / 1e9;
  const double gbs = static_cast<double>(w.nbytes()) * calls_per_s / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["GB/s"] = gbs;
  if (s.m <= 8) {
    state.counters["%bw"] = 100.0 * gbs / cs->read_gbs;
    state.counters["ceil_GB/s"] = cs->read_gbs;
  } else if (peak_ops(wtype, s.m) > 0) {
    state.counters["%peak"] = 100.0 * gflops * 1e9 / peak_ops(wtype, s.m);
  }
  state.SetLabel(std::string(seek::kernel_level_name(ctx.level)));
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      g_threads = std::max(1, std::atoi(argv[i] + 10));
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      --i;
    }
  }
  benchmark::Initialize(&argc, argv);
  g_ceilings = kn::measure_ceilings(pool());
  std::fprintf(stderr, "ceilings: %s\n", g_ceilings.to_json().c_str());
  benchmark::AddCustomContext("ceilings", g_ceilings.to_json());

  const DType types[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kF8E4M3, DType::kQ8_0,
                         DType::kQ4_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
  // m = 8: eight sequences decoding together (seek bench --parallel 8); still streams W from DRAM.
  const Shape shapes[] = {{1, 2048, 2048}, {1, 10944, 2048}, {2, 2048, 2048}, {3, 2048, 2048}, {4, 2048, 2048}, {8, 2048, 2048}, {8, 1536, 8960}, {64, 2048, 2048}, {512, 2048, 2048}};
  for (DType t : types) {
    for (const Shape& s : shapes) {
      const std::string name = "matmul/" + std::string(seek::dtype_name(t)) + "/m" + std::to_string(s.m) +
                               "_n" + std::to_string(s.n) + "_k" + std::to_string(s.k);
      static std::vector<std::unique_ptr<CaseState>> states;
      states.push_back(std::make_unique<CaseState>());
      benchmark::RegisterBenchmark(name.c_str(), bench_matmul, t, s, states.back().get())
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(0.3);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
