// attention throughput on the shapes seek runs, at the best kernel level with 2 threads, against this
// machine's measured ceilings (kernels/ceilings.h):
//   decode of absorbed MLA: MQA, 1 kv head, dk 576, dv 512 with v a view of k (the latent is read
//     once for all heads), H = 16 (and 128), 1 query, T = 512 .. 32768, f32 and bf16 KV;
//   decode of Qwen2 GQA: H 12, Hkv 2, head dim 128;
//   prefill of naive MLA: MHA dk 192, dv 128, H 16, a causal chunk of 512 queries from position 0.
//
// Each case is first validated against the scalar reference (decode on its first 2048 keys, prefill
// on its last 16 queries), then timed. Counters: GB/s of KV bytes read per call (each cached key and
// value row once; for MLA the value rows are the key rows) and its share of the DRAM read ceiling
// (%bw, measured just before each decode case); GFLOP/s (2 flops per multiply-add of q·k and p·v,
// causal) and its share of the f32 FMA peak (%peak). Decode cycles through enough copies of the
// cache to exceed the last-level cache several times over, so the KV comes from DRAM as in a real
// model's decode.
//
// Usage: bench_attention [--threads=N] [--benchmark_filter=...] [other Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#define SEEK_COMPARE_NO_GTEST  // benchmarks link no gtest
#include "../tests/common/compare.h"
#include "core/arena.h"
#include "core/cpu_features.h"
#include "core/quant.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/attention.h"
#include "kernels/ceilings.h"

namespace {

using seek::DType;
using seek::Tensor;
namespace kn = seek::kernels;

int g_threads = 2;                                // --threads=N overrides (the reported figures use 2)
constexpr size_t kColdBytes = size_t{256} << 20;  // decode caches cycle through >= this many bytes
constexpr int64_t kValidateKeys = 2048;           // decode: keys checked against the reference
constexpr int64_t kValidateQueries = 16;          // prefill: queries checked against the reference
kn::Ceilings g_ceilings;

seek::ThreadPool& pool() {
  static seek::ThreadPool p(g_threads);
  return p;
}

struct Shape {
  int64_t n_q, heads, kv_heads, dk, dv, n_keys;
  bool v_in_k;  // v is the first dv values of each k row (absorbed MLA)
  DType kv_type;
};

bool is_decode(const Shape& s) { return s.n_q <= 8; }

// Per-case facts kept across the several calls Google Benchmark makes while sizing the run.
struct CaseState {
  bool validated = false;
  double read_gbs = 0.0;  // decode: read ceiling measured just before the case
};

Tensor random_tensor(DType dtype, const std::vector<int64_t>& shape, std::mt19937& rng, float scale) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  Tensor f = Tensor::empty(DType::kF32, shape);
  for (int64_t i = 0; i < f.numel(); ++i) f.data_as<float>()[i] = dist(rng);
  if (dtype == DType::kF32) return f;
  Tensor t = Tensor::empty(dtype, shape);
  const int64_t cols = shape.back(), rows = f.numel() / cols;
  for (int64_t r = 0; r < rows; ++r) seek::quantize_row(dtype, f.data_as<float>() + r * cols, t.row(r), cols);
  return t;
}

// One cache: k [T, Hkv, dk] and v (a view of k, or its own tensor).
struct Cache {
  Tensor k, v;
};

Cache make_cache(const Shape& s, std::mt19937& rng) {
  Cache c;
  c.k = random_tensor(s.kv_type, {s.n_keys, s.kv_heads, s.dk}, rng, 1.0f);
  c.v = s.v_in_k ? c.k.narrow(2, 0, s.dv) : random_tensor(s.kv_type, {s.n_keys, s.kv_heads, s.dv}, rng, 1.0f);
  return c;
}

Cache copy_cache(const Cache& c, const Shape& s) {
  Cache d;
  d.k = c.k.Copy();
  d.v = s.v_in_k ? d.k.narrow(2, 0, s.dv) : c.v.Copy();
  return d;
}

Tensor positions_from(int64_t first, int64_t n) {
  Tensor t = Tensor::empty(DType::kI32, {n});
  for (int64_t i = 0; i < n; ++i) t.data_as<int32_t>()[i] = static_cast<int32_t>(first + i);
  return t;
}

// Compares the fast path with the reference on a cheaper sub-problem of the case (see the top).
seek::test::CompareResult validate(const Shape& s, const Cache& c, const Tensor& q,
                                   const kn::AttentionParams& params, const kn::KernelContext& ctx) {
  int64_t n_q = s.n_q, n_keys = s.n_keys;
  Tensor qv = q;
  if (is_decode(s)) {
    n_keys = std::min(n_keys, kValidateKeys);
  } else {
    n_q = std::min(n_q, kValidateQueries);
    qv = q.narrow(0, s.n_q - n_q, n_q);
  }
  const Tensor k = c.k.narrow(0, 0, n_keys), v = c.v.narrow(0, 0, n_keys);
  const Tensor pos = positions_from(n_keys - n_q, n_q);
  Tensor want = Tensor::empty(DType::kF32, {n_q, s.heads, s.dv}),
         got = Tensor::empty(DType::kF32, {n_q, s.heads, s.dv});
  kn::KernelContext ref_ctx{&pool(), ctx.scratch, seek::KernelLevel::kScalar};
  kn::attention(ref_ctx, qv, k, v, pos, params, want);
  kn::attention(ctx, qv, k, v, pos, params, got);
  return seek::test::compare(got.data_as<float>(), want.data_as<float>(), want.numel(), {.rel_l2 = 1e-5});
}

void bench_attention(benchmark::State& state, Shape s, CaseState* cs) {
  std::mt19937 rng(42);
  const Tensor q = random_tensor(DType::kF32, {s.n_q, s.heads, s.dk}, rng, 4.0f);
  Tensor out = Tensor::empty(DType::kF32, {s.n_q, s.heads, s.dv});
  const Tensor pos = positions_from(s.n_keys - s.n_q, s.n_q);
  const kn::AttentionParams params{1.0f / std::sqrt(static_cast<float>(s.dk)), s.heads, s.kv_heads};
  std::vector<Cache> caches{make_cache(s, rng)};

  kn::KernelContext ctx;
  ctx.pool = &pool();
  const kn::AttentionSizes sizes{s.n_q, s.heads, s.kv_heads, s.dv, s.n_keys};
  seek::Arena scratch(kn::attention_scratch_bytes(ctx, sizes) + 4096);
  ctx.scratch = &scratch;

  if (!cs->validated) {
    const seek::test::CompareResult r = validate(s, caches[0], q, params, ctx);
    if (!r.ok) {
      state.SkipWithError(("validation failed: " + r.report()).c_str());
      return;
    }
    cs->validated = true;
  }
  // This machine's DRAM bandwidth drifts (shared host): decode is compared with a read ceiling
  // measured right before it, once per case.
  if (is_decode(s) && cs->read_gbs == 0.0)
    cs->read_gbs = kn::measure_read_bandwidth_gbs(pool(), {size_t{256} << 20, 3});

  const size_t elem = s.kv_type == DType::kBF16 ? 2 : 4;
  const size_t kv_bytes = static_cast<size_t>(s.n_keys * s.kv_heads) * elem * (s.v_in_k ? s.dk : s.dk + s.dv);
  if (is_decode(s)) {
    const size_t count = std::max<size_t>(1, (kColdBytes + kv_bytes - 1) / kv_bytes);
    for (size_t i = 1; i < count; ++i) caches.push_back(copy_cache(caches[0], s));
  }

  size_t next = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    kn::attention(ctx, q, caches[next].k, caches[next].v, pos, params, out);
    next = next + 1 == caches.size() ? 0 : next + 1;
    benchmark::DoNotOptimize(out.data());
  }
  // Rates from our own clock so the counters read as plain numbers (GB/s, GFLOP/s, %).
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double calls_per_s = static_cast<double>(state.iterations()) / seconds;
  double pairs = 0.0;  // (query, key) pairs under the causal mask, per head
  for (int64_t i = 0; i < s.n_q; ++i) pairs += static_cast<double>(s.n_keys - s.n_q + i + 1);
  const double gflops = 2.0 * pairs * static_cast<double>(s.heads * (s.dk + s.dv)) * calls_per_s / 1e9;
  const double gbs = static_cast<double>(kv_bytes) * calls_per_s / 1e9;
  state.counters["GB/s"] = gbs;
  state.counters["GFLOP/s"] = gflops;
  state.counters["%peak"] = 100.0 * gflops / g_ceilings.f32_fma_gflops;
  if (is_decode(s)) {
    state.counters["%bw"] = 100.0 * gbs / cs->read_gbs;
    state.counters["ceil_GB/s"] = cs->read_gbs;
  }
  state.SetLabel(std::string(seek::kernel_level_name(ctx.level)));
}

void add(const std::string& name, Shape s) {
  static std::vector<std::unique_ptr<CaseState>> states;
  states.push_back(std::make_unique<CaseState>());
  benchmark::RegisterBenchmark(name.c_str(), bench_attention, s, states.back().get())
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(0.3);
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

  for (DType t : {DType::kF32, DType::kBF16}) {
    const std::string type(seek::dtype_name(t));
    for (int64_t T : {512, 4096, 32768}) {
      add("mla_decode/" + type + "/H16_T" + std::to_string(T), {1, 16, 1, 576, 512, T, true, t});
    }
    add("mla_decode/" + type + "/H128_T4096", {1, 128, 1, 576, 512, 4096, true, t});
    add("gqa_decode/" + type + "/H12_Hkv2_T4096", {1, 12, 2, 128, 128, 4096, false, t});
  }
  add("mha_prefill/f32/H16_n512", {512, 16, 16, 192, 128, 512, false, DType::kF32});
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
