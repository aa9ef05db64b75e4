// The machine's measured limits, which benchmarks and `seek bench` divide by: streaming read
// bandwidth from DRAM and the peak arithmetic rate of each kind of multiply-add the kernels use.
//
// These are measurements, not datasheet numbers: a buffer much larger than the last-level cache read
// by every thread with the widest loads available (best of several runs), and register-only loops of
// independent multiply-adds. Each call takes up to about a second; call once and keep the result.
// Thread-safety: uses the given pool (owner thread only); allocates its own buffer.
#pragma once

#include <cstddef>
#include <string>

#include "core/thread_pool.h"

namespace seek::kernels {

struct CeilingOptions {
  size_t buffer_bytes = size_t{512} << 20;  // bandwidth buffer; should be >> L3
  int repeats = 5;                          // best of this many runs
};

struct Ceilings {
  int num_threads = 0;
  double read_gbs = 0.0;         // DRAM streaming read, GB/s (1e9 bytes)
  double f32_fma_gflops = 0.0;   // f32 FMA, GFLOP/s (2 flops per lane)
  double bf16_dot_gflops = 0.0;  // VDPBF16PS, GFLOP/s (4 flops per 32-bit lane); 0 if unavailable
  double int8_dot_gops = 0.0;    // VPDPBUSD, Gop/s (8 ops per 32-bit lane); 0 if unavailable
  std::string isa;               // the instruction set each figure used, e.g. "avx512"

  std::string to_json() const;
  std::string to_text() const;
};

double measure_read_bandwidth_gbs(ThreadPool& pool, const CeilingOptions& options = {});
double measure_f32_fma_gflops(ThreadPool& pool, const CeilingOptions& options = {});
double measure_bf16_dot_gflops(ThreadPool& pool, const CeilingOptions& options = {});  // 0 if no AVX512-BF16
double measure_int8_dot_gops(ThreadPool& pool, const CeilingOptions& options = {});    // 0 if no VNNI
Ceilings measure_ceilings(ThreadPool& pool, const CeilingOptions& options = {});

}  // namespace seek::kernels
