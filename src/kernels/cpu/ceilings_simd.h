// The inner loops of ceilings.cpp, one set per instruction set (declarations only; see backend.h).
// The arithmetic loops are volatile assembly (never dropped); their return values are placeholders.
#pragma once

#include <cstddef>
#include <cstdint>

namespace seek::kernels {
namespace avx512 {
uint64_t read_stream(const uint8_t* p, size_t bytes);  // bytes: a multiple of 256
float fma_loop(int64_t iters);                         // iters x 24 FMAs of 16 lanes
float bf16_dot_loop(int64_t iters);                    // iters x 24 VDPBF16PS of 16 lanes
int32_t int8_dot_loop(int64_t iters);                  // iters x 24 VPDPBUSD of 16 lanes
}  // namespace avx512
namespace avx2 {
uint64_t read_stream(const uint8_t* p, size_t bytes);
float fma_loop(int64_t iters);  // iters x 12 FMAs of 8 lanes
}  // namespace avx2
}  // namespace seek::kernels
