#include "kernels/ceilings.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/cpu_features.h"
#include "core/error.h"
#include "core/tensor.h"
#include "kernels/cpu/ceilings_simd.h"

namespace seek::kernels {
namespace {

// Per-thread work of the arithmetic loops: long enough (~20-50 ms) to hide the pool's start-up.
constexpr int64_t kArithIters = 1'000'000;

std::atomic<uint64_t> g_sink{0};  // results of the loops land here so none is optimised away

uint64_t read_stream_scalar(const uint8_t* p, size_t bytes) {
  uint64_t acc = 0;
  for (size_t i = 0; i < bytes; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    acc ^= v;
  }
  return acc;
}

uint64_t read_stream(const uint8_t* p, size_t bytes) {
  switch (best_kernel_level()) {
    case KernelLevel::kAvx512: return avx512::read_stream(p, bytes);
    case KernelLevel::kAvx2: return avx2::read_stream(p, bytes);
    case KernelLevel::kScalar: return read_stream_scalar(p, bytes);
  }
  return 0;
}

// Seconds for the fastest run of fn(thread_idx) on every thread of the pool, over at least
// `repeats` runs and at least kMinSeconds: on a shared machine a run is only as fast as its slowest
// thread, so a longer window is what finds a run where every thread had its core.
constexpr double kMinSeconds = 0.5;

template <typename F>
double best_seconds(ThreadPool& pool, int repeats, F&& fn) {
  double best = 1e30;
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0;; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.run(fn);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    if (r + 1 >= repeats && std::chrono::duration<double>(t1 - start).count() >= kMinSeconds) break;
  }
  return best;
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

}  // namespace

double measure_read_bandwidth_gbs(ThreadPool& pool, const CeilingOptions& options) {
  const int nt = pool.num_threads();
  // Each thread streams its own contiguous slice; slices are multiples of 4 KiB.
  const size_t slice = options.buffer_bytes / static_cast<size_t>(nt) / 4096 * 4096;
  SEEK_CHECK(slice > 0, "bandwidth buffer too small: " << options.buffer_bytes << " bytes");
  std::shared_ptr<void> buffer =
      aligned_alloc_shared(slice * static_cast<size_t>(nt));  // zeroed: pages touched
  const uint8_t* base = static_cast<const uint8_t*>(buffer.get());
  // Pages were touched by this thread; a warm-up pass lets every thread fault in its TLB entries.
  pool.run([&](int t) { g_sink += read_stream(base + static_cast<size_t>(t) * slice, slice); });
  const double s = best_seconds(pool, options.repeats, [&](int t) {
    g_sink += read_stream(base + static_cast<size_t>(t) * slice, slice);
  });
  return static_cast<double>(slice) * nt / s / 1e9;
}

double measure_f32_fma_gflops(ThreadPool& pool, const CeilingOptions& options) {
  const int repeats = std::max(1, std::min(options.repeats, 3));
  const KernelLevel level = best_kernel_level();
  if (level == KernelLevel::kScalar) return 0.0;
  const int lanes = level == KernelLevel::kAvx512 ? 16 : 8;
  const int chains = level == KernelLevel::kAvx512 ? 24 : 12;
  const double s = best_seconds(pool, repeats, [&](int) {
    const float v =
        level == KernelLevel::kAvx512 ? avx512::fma_loop(kArithIters) : avx2::fma_loop(kArithIters);
    g_sink += static_cast<uint64_t>(v);
  });
  return static_cast<double>(kArithIters) * chains * lanes * 2 * pool.num_threads() / s / 1e9;
}

double measure_bf16_dot_gflops(ThreadPool& pool, const CeilingOptions& options) {
  if (!cpu_features().avx512_bf16) return 0.0;
  const int repeats = std::max(1, std::min(options.repeats, 3));
  const double s = best_seconds(
      pool, repeats, [&](int) { g_sink += static_cast<uint64_t>(avx512::bf16_dot_loop(kArithIters)); });
  return static_cast<double>(kArithIters) * 24 * 16 * 4 * pool.num_threads() / s / 1e9;
}

double measure_int8_dot_gops(ThreadPool& pool, const CeilingOptions& options) {
  if (!cpu_features().avx512_vnni) return 0.0;
  const int repeats = std::max(1, std::min(options.repeats, 3));
  const double s = best_seconds(
      pool, repeats, [&](int) { g_sink += static_cast<uint64_t>(avx512::int8_dot_loop(kArithIters)); });
  return static_cast<double>(kArithIters) * 24 * 16 * 8 * pool.num_threads() / s / 1e9;
}

Ceilings measure_ceilings(ThreadPool& pool, const CeilingOptions& options) {
  Ceilings c;
  c.num_threads = pool.num_threads();
  c.read_gbs = measure_read_bandwidth_gbs(pool, options);
  c.f32_fma_gflops = measure_f32_fma_gflops(pool, options);
  c.bf16_dot_gflops = measure_bf16_dot_gflops(pool, options);
  c.int8_dot_gops = measure_int8_dot_gops(pool, options);
  c.isa = kernel_level_name(best_kernel_level());
  return c;
}

std::string Ceilings::to_json() const {
  return "{\"threads\": " + std::to_string(num_threads) + ", \"isa\": \"" + isa +
         "\", \"read_gbs\": " + format_double(read_gbs) +
         ", \"f32_fma_gflops\": " + format_double(f32_fma_gflops) +
         ", \"bf16_dot_gflops\": " + format_double(bf16_dot_gflops) +
         ", \"int8_dot_gops\": " + format_double(int8_dot_gops) + "}";
}

std::string Ceilings::to_text() const {
  std::string s = "threads " + std::to_string(num_threads) + " (" + isa + ")\n";
  s += "  read bandwidth   " + format_double(read_gbs) + " GB/s\n";
  s += "  f32 FMA          " + format_double(f32_fma_gflops) + " GFLOP/s\n";
  s += "  bf16 dot         " + (bf16_dot_gflops > 0 ? format_double(bf16_dot_gflops) + " GFLOP/s" : "n/a") +
       "\n";
  s += "  int8 dot (VNNI)  " + (int8_dot_gops > 0 ? format_double(int8_dot_gops) + " Gop/s" : "n/a") + "\n";
  return s;
}

}  // namespace seek::kernels
