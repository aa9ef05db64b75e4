// What the CPU we run on can do, read once at start-up with CPUID (via the compiler's builtins).
#pragma once

#include <string>

namespace seek {

struct CpuFeatures {
  bool avx2 = false;        // with FMA and F16C (AVX2 kernels need all three)
  bool avx512 = false;      // AVX-512 F + BW + VL + DQ
  bool avx512_bf16 = false; // VDPBF16PS
  bool avx512_vnni = false; // VPDPBUSD
  bool avx512_fp16 = false;
};

const CpuFeatures& cpu_features();  // detected once, thread-safe

// Which family of kernels runs. Each level falls back to the one below for ops it lacks.
enum class KernelLevel { kScalar, kAvx2, kAvx512 };

KernelLevel best_kernel_level();  // the highest level this CPU supports
const char* kernel_level_name(KernelLevel level);
std::string cpu_features_string();  // "avx2 avx512 avx512_bf16 ..." for logs and `seek bench`

}  // namespace seek
