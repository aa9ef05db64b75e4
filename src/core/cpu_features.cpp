#include "core/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace seek {

// CPUID bits (Intel SDM vol. 2A, CPUID) read directly, so gcc and clang agree on every feature, plus
// XGETBV to confirm the OS saves the AVX / AVX-512 register state.
static CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28), f16c = c & (1u << 29);
  if (!osxsave || !avx) return f;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const bool os_avx = (xcr0_lo & 0x6u) == 0x6u;         // XMM and YMM state
  const bool os_avx512 = (xcr0_lo & 0xe6u) == 0xe6u;    // plus opmask and ZMM state
  if (!os_avx || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  const bool avx2 = b & (1u << 5), avx512f = b & (1u << 16), avx512dq = b & (1u << 17);
  const bool avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
  const bool avx512_vnni = c & (1u << 11), avx512_fp16 = d & (1u << 23);
  unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
  __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1);
  const bool avx512_bf16 = a1 & (1u << 5);
  f.avx2 = avx2 && fma && f16c;
  f.avx512 = f.avx2 && os_avx512 && avx512f && avx512bw && avx512vl && avx512dq;
  f.avx512_bf16 = f.avx512 && avx512_bf16;
  f.avx512_vnni = f.avx512 && avx512_vnni;
  f.avx512_fp16 = f.avx512 && avx512_fp16;
#endif
#if defined(SEEK_EMULATE_AVX512)
  // A test build whose AVX-512 kernels run through SIMDe on AVX2 (CMake option SEEK_EMULATE_AVX512).
  if (f.avx2) f.avx512 = f.avx512_bf16 = f.avx512_vnni = true;
#endif
  return f;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

KernelLevel best_kernel_level() {
  const CpuFeatures& f = cpu_features();
  if (f.avx512) return KernelLevel::kAvx512;
  if (f.avx2) return KernelLevel::kAvx2;
  return KernelLevel::kScalar;
}

const char* kernel_level_name(KernelLevel level) {
  switch (level) {
    case KernelLevel::kScalar: return "scalar";
    case KernelLevel::kAvx2: return "avx2";
    case KernelLevel::kAvx512: return "avx512";
  }
  return "?";
}

std::string cpu_features_string() {
  const CpuFeatures& f = cpu_features();
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx2, "avx2+fma+f16c");
  add(f.avx512, "avx512");
  add(f.avx512_bf16, "avx512_bf16");
  add(f.avx512_vnni, "avx512_vnni");
  add(f.avx512_fp16, "avx512_fp16");
  return s.empty() ? "none" : s;
}

}  // namespace seek
