// AVX-512 loops for the ceilings: 64-byte streaming loads, and peak-rate loops written in inline
// assembly. The arithmetic loops are assembly on purpose: with 24 vector accumulators in C++, GCC 12
// spills and shuffles registers (it measured 2-5x below the kernels' own rates). 24 independent
// chains cover latency x throughput of FMA, VDPBF16PS and VPDPBUSD on current cores.
#include "kernels/cpu/ceilings_simd.h"
#include "kernels/cpu/simd_avx512.h"

namespace seek::kernels::avx512 {

#if defined(SEEK_EMULATE_AVX512)
// The AVX-512 emulation test build (CMakeLists.txt) runs on CPUs without zmm registers, so its
// ceilings time the AVX2 loops (half the work each call reports): the figures are wrong there, the
// commands that print them still run.
uint64_t read_stream(const uint8_t* p, size_t bytes) { return avx2::read_stream(p, bytes); }
float fma_loop(int64_t iters) { return avx2::fma_loop(iters); }
float bf16_dot_loop(int64_t iters) { return avx2::fma_loop(iters); }
int32_t int8_dot_loop(int64_t iters) { return static_cast<int32_t>(avx2::fma_loop(iters)); }
#else
uint64_t read_stream(const uint8_t* p, size_t bytes) {
  __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (size_t i = 0; i < bytes; i += 256) {
    acc0 = _mm512_xor_si512(acc0, _mm512_load_si512(p + i));
    acc1 = _mm512_xor_si512(acc1, _mm512_load_si512(p + i + 64));
    acc2 = _mm512_xor_si512(acc2, _mm512_load_si512(p + i + 128));
    acc3 = _mm512_xor_si512(acc3, _mm512_load_si512(p + i + 192));
  }
  const __m512i all = _mm512_xor_si512(_mm512_xor_si512(acc0, acc1), _mm512_xor_si512(acc2, acc3));
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(all));
}

// Each loop zeroes its registers (no denormals, no NaN), then runs `iters` rounds of 24 independent
// instructions.
float fma_loop(int64_t iters) {
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vmovaps %%zmm0, %%zmm8\n\t"
      "vmovaps %%zmm0, %%zmm9\n\t"
      "vmovaps %%zmm0, %%zmm10\n\t"
      "vmovaps %%zmm0, %%zmm11\n\t"
      "vmovaps %%zmm0, %%zmm12\n\t"
      "vmovaps %%zmm0, %%zmm13\n\t"
      "vmovaps %%zmm0, %%zmm14\n\t"
      "vmovaps %%zmm0, %%zmm15\n\t"
      "vmovaps %%zmm0, %%zmm16\n\t"
      "vmovaps %%zmm0, %%zmm17\n\t"
      "vmovaps %%zmm0, %%zmm18\n\t"
      "vmovaps %%zmm0, %%zmm19\n\t"
      "vmovaps %%zmm0, %%zmm20\n\t"
      "vmovaps %%zmm0, %%zmm21\n\t"
      "vmovaps %%zmm0, %%zmm22\n\t"
      "vmovaps %%zmm0, %%zmm23\n\t"
      "vmovaps %%zmm0, %%zmm24\n\t"
      "vmovaps %%zmm0, %%zmm25\n\t"
      "vmovaps %%zmm0, %%zmm26\n\t"
      "vmovaps %%zmm0, %%zmm27\n\t"
      "vmovaps %%zmm0, %%zmm28\n\t"
      "vmovaps %%zmm0, %%zmm29\n\t"
      "vmovaps %%zmm0, %%zmm30\n\t"
      "vmovaps %%zmm0, %%zmm31\n\t"
      "1:\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm8\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm9\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm10\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm11\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm12\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm13\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm14\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm15\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm16\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm17\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm18\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm19\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm20\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm21\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm22\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm23\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm24\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm25\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm26\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm27\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm28\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm29\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm30\n\t"
      "vfmadd231ps %%zmm0, %%zmm1, %%zmm31\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
        "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "cc");
  return 0.0f;
}

float bf16_dot_loop(int64_t iters) {
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vmovaps %%zmm0, %%zmm8\n\t"
      "vmovaps %%zmm0, %%zmm9\n\t"
      "vmovaps %%zmm0, %%zmm10\n\t"
      "vmovaps %%zmm0, %%zmm11\n\t"
      "vmovaps %%zmm0, %%zmm12\n\t"
      "vmovaps %%zmm0, %%zmm13\n\t"
      "vmovaps %%zmm0, %%zmm14\n\t"
      "vmovaps %%zmm0, %%zmm15\n\t"
      "vmovaps %%zmm0, %%zmm16\n\t"
      "vmovaps %%zmm0, %%zmm17\n\t"
      "vmovaps %%zmm0, %%zmm18\n\t"
      "vmovaps %%zmm0, %%zmm19\n\t"
      "vmovaps %%zmm0, %%zmm20\n\t"
      "vmovaps %%zmm0, %%zmm21\n\t"
      "vmovaps %%zmm0, %%zmm22\n\t"
      "vmovaps %%zmm0, %%zmm23\n\t"
      "vmovaps %%zmm0, %%zmm24\n\t"
      "vmovaps %%zmm0, %%zmm25\n\t"
      "vmovaps %%zmm0, %%zmm26\n\t"
      "vmovaps %%zmm0, %%zmm27\n\t"
      "vmovaps %%zmm0, %%zmm28\n\t"
      "vmovaps %%zmm0, %%zmm29\n\t"
      "vmovaps %%zmm0, %%zmm30\n\t"
      "vmovaps %%zmm0, %%zmm31\n\t"
      "1:\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm8\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm9\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm10\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm11\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm12\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm13\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm14\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm15\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm16\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm17\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm18\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm19\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm20\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm21\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm22\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm23\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm24\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm25\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm26\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm27\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm28\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm29\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm30\n\t"
      "vdpbf16ps %%zmm0, %%zmm1, %%zmm31\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
        "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "cc");
  return 0.0f;
}

int32_t int8_dot_loop(int64_t iters) {
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vmovdqa32 %%zmm0, %%zmm8\n\t"
      "vmovdqa32 %%zmm0, %%zmm9\n\t"
      "vmovdqa32 %%zmm0, %%zmm10\n\t"
      "vmovdqa32 %%zmm0, %%zmm11\n\t"
      "vmovdqa32 %%zmm0, %%zmm12\n\t"
      "vmovdqa32 %%zmm0, %%zmm13\n\t"
      "vmovdqa32 %%zmm0, %%zmm14\n\t"
      "vmovdqa32 %%zmm0, %%zmm15\n\t"
      "vmovdqa32 %%zmm0, %%zmm16\n\t"
      "vmovdqa32 %%zmm0, %%zmm17\n\t"
      "vmovdqa32 %%zmm0, %%zmm18\n\t"
      "vmovdqa32 %%zmm0, %%zmm19\n\t"
      "vmovdqa32 %%zmm0, %%zmm20\n\t"
      "vmovdqa32 %%zmm0, %%zmm21\n\t"
      "vmovdqa32 %%zmm0, %%zmm22\n\t"
      "vmovdqa32 %%zmm0, %%zmm23\n\t"
      "vmovdqa32 %%zmm0, %%zmm24\n\t"
      "vmovdqa32 %%zmm0, %%zmm25\n\t"
      "vmovdqa32 %%zmm0, %%zmm26\n\t"
      "vmovdqa32 %%zmm0, %%zmm27\n\t"
      "vmovdqa32 %%zmm0, %%zmm28\n\t"
      "vmovdqa32 %%zmm0, %%zmm29\n\t"
      "vmovdqa32 %%zmm0, %%zmm30\n\t"
      "vmovdqa32 %%zmm0, %%zmm31\n\t"
      "1:\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm8\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm9\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm10\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm11\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm12\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm13\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm14\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm15\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm16\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm17\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm18\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm19\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm20\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm21\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm22\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm23\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm24\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm25\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm26\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm27\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm28\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm29\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm30\n\t"
      "vpdpbusd %%zmm0, %%zmm1, %%zmm31\n\t"
      "dec %0\n\t"
      "jnz 1b\n\t"
      : "+r"(iters)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
        "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",
        "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31", "cc");
  return 0;
}

#endif  // SEEK_EMULATE_AVX512

}  // namespace seek::kernels::avx512
